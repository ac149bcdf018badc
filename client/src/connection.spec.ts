import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Connection, type ConnectionSettings, type ConnectionStatus } from './connection.js';
import { tokenSource } from './token-source.js';
import type {
  OpenTransport,
  TransportEnd,
  TransportParams,
  TransportSink,
} from './transports/transport.js';
import type { Notification, TransportName } from './types.js';

interface Attempt {
  transport: TransportName;
  params: TransportParams;
  sink: TransportSink;
  end(e: TransportEnd): void;
}

function harness(overrides: Partial<ConnectionSettings> = {}, cursor: string | null = null) {
  const attempts: Attempt[] = [];
  const fake =
    (transport: TransportName): OpenTransport =>
    (params, sink) => {
      let end!: (e: TransportEnd) => void;
      const ended = new Promise<TransportEnd>((r) => (end = r));
      attempts.push({ transport, params, sink, end });
      return { ended, stop: () => undefined };
    };
  let n = 0;
  const getToken = jest.fn(async () => `token-${++n}`);
  const statuses: ConnectionStatus[] = [];
  const notifications: Notification[] = [];
  const connection = new Connection(
    {
      baseUrl: 'http://gw',
      channels: [],
      transport: 'auto',
      heartbeatMs: undefined,
      longPollTimeoutSeconds: 25,
      backoff: { initialMs: 1000, maxMs: 8000 },
      tokens: tokenSource(undefined, getToken),
      transports: { sse: fake('sse'), ws: fake('ws'), longpoll: fake('longpoll') },
      ...overrides,
    },
    cursor,
    {
      notification: (x) => notifications.push(x),
      reset: () => undefined,
      status: (s) => statuses.push(s),
    },
  );
  connection.start();
  return { connection, attempts, getToken, statuses, notifications };
}

const note = (id: string): Notification => ({
  id,
  channel: 'chat',
  type: 't',
  payload: null,
  createdAt: '2026-01-01T00:00:00Z',
});
const tick = (ms = 0) => jest.advanceTimersByTimeAsync(ms);

describe('Connection', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('auto: falls back to long polling at once when SSE cannot be opened', async () => {
    const h = harness({}, 'e-5');
    await tick();
    expect(h.attempts.map((a) => a.transport)).toEqual(['sse']);
    h.attempts[0].end({ kind: 'unavailable', reason: 'network error' });
    await tick();
    expect(h.attempts.map((a) => a.transport)).toEqual(['sse', 'longpoll']);
    expect(h.attempts[1].params.cursor).toBe('e-5');
  });

  it('auto: falls back to long polling when an open SSE stream stalls', async () => {
    const h = harness();
    await tick();
    h.attempts[0].sink.opened();
    h.attempts[0].sink.cursor('e-1');
    h.attempts[0].end({ kind: 'stalled' });
    await tick();
    expect(h.attempts[1]).toMatchObject({ transport: 'longpoll', params: { cursor: 'e-1' } });
  });

  it('resumes SSE from the last notification after a drop, once the backoff has passed', async () => {
    const h = harness();
    await tick();
    const first = h.attempts[0];
    first.sink.opened();
    first.sink.notification(note('e-1'));
    first.sink.notification(note('e-2'));
    first.end({ kind: 'dropped', reason: 'stream ended' });
    await tick(499);
    expect(h.attempts).toHaveLength(1);
    expect(h.connection.status.state).toBe('reconnecting');
    await tick(501);
    expect(h.attempts[1]).toMatchObject({ transport: 'sse', params: { cursor: 'e-2' } });
    expect(h.notifications.map((x) => x.id)).toEqual(['e-1', 'e-2']);
  });

  it('keeps a forced transport: an SSE that cannot open is retried as SSE, with growing delays', async () => {
    const h = harness({ transport: 'sse' });
    await tick();
    h.attempts[0].end({ kind: 'unavailable', reason: 'network error' });
    await tick(1000);
    expect(h.attempts.map((a) => a.transport)).toEqual(['sse', 'sse']);
    h.attempts[1].end({ kind: 'unavailable', reason: 'network error' });
    await tick(999);
    expect(h.attempts).toHaveLength(2);
    await tick(1001);
    expect(h.attempts).toHaveLength(3);
  });

  it('asks for a fresh token after a WebSocket handshake fails (its status is hidden)', async () => {
    const h = harness({ transport: 'ws' });
    await tick();
    h.attempts[0].end({ kind: 'unavailable', reason: 'closed (1006)' });
    await tick(1000);
    expect(h.attempts[1]).toMatchObject({ transport: 'ws', params: { token: 'token-2' } });
  });

  it('honours Retry-After when the server refuses for now', async () => {
    const h = harness({ transport: 'longpoll' });
    await tick();
    h.attempts[0].end({ kind: 'dropped', reason: 'too many', retryAfterMs: 5000 });
    await tick(4999);
    expect(h.attempts).toHaveLength(1);
    await tick(1);
    expect(h.attempts).toHaveLength(2);
  });

  it('fetches a fresh token when the server says it expired and resumes from the cursor', async () => {
    const h = harness({}, 'e-3');
    await tick();
    expect(h.attempts[0].params.token).toBe('token-1');
    h.attempts[0].end({ kind: 'unauthorized' });
    await tick();
    expect(h.getToken).toHaveBeenCalledTimes(2);
    expect(h.attempts[1].params).toMatchObject({ token: 'token-2', cursor: 'e-3' });
    expect(h.attempts[1].transport).toBe('sse');
  });

  it('backs off instead of looping when a fresh token is refused too', async () => {
    const h = harness();
    await tick();
    h.attempts[0].end({ kind: 'unauthorized' });
    await tick();
    h.attempts[1].end({ kind: 'unauthorized' });
    await tick(499);
    expect(h.attempts).toHaveLength(2);
    await tick(501);
    expect(h.attempts[2].params.token).toBe('token-3');
  });

  it('closes when the token is refused and there is no getToken', async () => {
    const h = harness({ tokens: tokenSource('fixed') });
    await tick();
    h.attempts[0].end({ kind: 'unauthorized' });
    await tick(60_000);
    expect(h.attempts).toHaveLength(1);
    expect(h.connection.status).toMatchObject({ state: 'closed' });
  });

  it('closes on a rejected request instead of repeating it', async () => {
    const h = harness();
    await tick();
    h.attempts[0].end({ kind: 'rejected', reason: 'invalid channels' });
    await tick(60_000);
    expect(h.attempts).toHaveLength(1);
    expect(h.statuses.at(-1)).toMatchObject({ state: 'closed', error: 'invalid channels' });
  });

  it('stops for good: no reconnect after stop()', async () => {
    const h = harness();
    await tick();
    h.connection.stop();
    h.attempts[0].end({ kind: 'dropped', reason: 'x' });
    await tick(60_000);
    expect(h.attempts).toHaveLength(1);
  });
});
