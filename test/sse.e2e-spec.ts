import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import net from 'node:net';
import { CONNECTION_LIMITER } from '../src/app.tokens.js';
import type { LocalConnectionLimiter } from '../src/connections/connection-limiter.js';
import { NotificationHub } from '../src/hub/notification-hub.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { openSse } from './support/sse-client.js';
import { until } from './support/wait.js';

describe('SSE delivery', () => {
  let gw: TestGateway;
  let limiter: LocalConnectionLimiter;
  let hub: NotificationHub;
  beforeAll(async () => {
    gw = await startGateway({
      SSE_HEARTBEAT_MS: '200',
      MAX_CONNECTIONS_PER_USER: '3',
      HISTORY_MAX_PER_USER: '5',
    });
    limiter = gw.app.get(CONNECTION_LIMITER);
    hub = gw.app.get(NotificationHub);
  });
  afterAll(() => gw.close());

  const stream = async (user: string, query = '', headers: Record<string, string> = {}) =>
    openSse(`${gw.url}/v1/notifications/stream${query}`, {
      authorization: `Bearer ${await gw.token(user)}`,
      ...headers,
    });
  const note = (userId: string, text: string, extra: object = {}) => ({
    userId,
    channel: 'chat',
    type: 'message.created',
    payload: { text },
    ...extra,
  });

  it('delivers a published notification with its id, and sends retry first', async () => {
    const sse = await stream('alice');
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    const { results } = await gw.publish(note('alice', 'hi'));
    const [ev] = await sse.waitForEvents(1);
    expect(ev.event).toBe('notification');
    expect(ev.id).toBe(results[0].id);
    expect(JSON.parse(ev.data)).toMatchObject({
      id: results[0].id,
      channel: 'chat',
      type: 'message.created',
      payload: { text: 'hi' },
    });
    expect(new Date(JSON.parse(ev.data).createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(sse.retry).toBe(gw.config.SSE_RETRY_MS);
    sse.close();
  });

  it('gives a fresh stream a cursor before any event, so nothing is missed across a reconnect', async () => {
    const sse = await stream('fresh');
    await until('the id-only position frame', () => sse.lastEventId !== undefined);
    const position = sse.lastEventId!;
    sse.close();
    await gw.publish(note('fresh', 'while away'));
    const again = await stream('fresh', '', { 'last-event-id': position });
    const [ev] = await again.waitForEvents(1);
    expect(JSON.parse(ev.data).payload.text).toBe('while away');
    again.close();
  });

  it('never shows a user another user’s notifications', async () => {
    const bob = await stream('bob');
    const eve = await stream('eve');
    await gw.publish(note('bob', 'for bob'));
    await gw.publish({ userIds: ['eve', 'bob'], type: 'both', payload: 1 });
    await gw.publish(note('eve', 'for eve'));
    const bobs = await bob.waitForEvents(2);
    const eves = await eve.waitForEvents(2);
    expect(bobs.map((e) => JSON.parse(e.data).type)).toEqual(['message.created', 'both']);
    expect(JSON.parse(bobs[0].data).payload.text).toBe('for bob');
    expect(eves.map((e) => JSON.parse(e.data).payload)).toEqual([1, { text: 'for eve' }]);
    // Bob's third event would be eve's: make sure it never comes by publishing a marker after it.
    await gw.publish(note('bob', 'marker'));
    const [, , third] = await bob.waitForEvents(3);
    expect(JSON.parse(third.data).payload.text).toBe('marker');
    bob.close();
    eve.close();
  });

  it('delivers broadcasts to everyone connected', async () => {
    const a = await stream('bc-a');
    const b = await stream('bc-b');
    await gw.publish({ broadcast: true, type: 'maintenance', payload: { at: 'noon' } });
    for (const s of [a, b]) {
      const [ev] = await s.waitForEvents(1);
      expect(JSON.parse(ev.data).type).toBe('maintenance');
      s.close();
    }
  });

  it('resumes after a disconnect with exactly what was missed (header and query)', async () => {
    const first = await stream('carol');
    await gw.publish(note('carol', 'm1'));
    await gw.publish(note('carol', 'm2'));
    await first.waitForEvents(2);
    const cursor = first.lastEventId!;
    first.close();
    const missed = await gw.publish([note('carol', 'm3'), note('carol', 'm4')]);

    const byHeader = await stream('carol', '', { 'last-event-id': cursor });
    const got = await byHeader.waitForEvents(2);
    expect(got.map((e) => e.id)).toEqual(missed.results.map((r) => r.id));
    const byQuery = await stream('carol', `?lastEventId=${encodeURIComponent(cursor)}`);
    expect((await byQuery.waitForEvents(2)).map((e) => e.id)).toEqual(
      missed.results.map((r) => r.id),
    );

    const live = await gw.publish(note('carol', 'm5'));
    for (const s of [byHeader, byQuery]) {
      const all = await s.waitForEvents(3);
      expect(all.map((e) => e.id)).toEqual([...missed.results, ...live.results].map((r) => r.id));
      s.close();
    }
  });

  it('sends reset for a cursor older than the retained history, then continues live', async () => {
    const first = await gw.publish(note('dave', 'old'));
    await gw.publish(Array.from({ length: 6 }, (_, i) => note('dave', `n${i}`)));
    const sse = await stream('dave', '', { 'last-event-id': first.results[0].id });
    const [reset] = await sse.waitForEvents(1);
    expect(reset.event).toBe('reset');
    expect(JSON.parse(reset.data)).toEqual({ id: reset.id, reason: 'cursor_unavailable' });
    const live = await gw.publish(note('dave', 'after reset'));
    const [, next] = await sse.waitForEvents(2);
    expect(next.id).toBe(live.results[0].id);
    sse.close();
  });

  it('sends reset for a well-formed cursor from another epoch, and 400 for garbage', async () => {
    const sse = await stream('erin', '', { 'last-event-id': 'zzzz-1' });
    expect((await sse.waitForEvents(1))[0].event).toBe('reset');
    sse.close();
    const bad = await stream('erin', '', { 'last-event-id': 'not a cursor' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: 'bad_request',
      problems: [{ field: 'Last-Event-ID' }],
    });
  });

  it('stores and delivers a producer id once', async () => {
    const sse = await stream('frank');
    const a = await gw.publish(note('frank', 'once', { id: 'order-1:shipped' }));
    const b = await gw.publish(note('frank', 'once', { id: 'order-1:shipped' }));
    expect(b.results[0]).toEqual({ id: a.results[0].id, duplicate: true });
    await gw.publish(note('frank', 'marker'));
    const events = await sse.waitForEvents(2);
    expect(events.map((e) => JSON.parse(e.data).payload.text)).toEqual(['once', 'marker']);
    sse.close();
  });

  it('filters channels on one multiplexed connection', async () => {
    const sse = await stream('gina', '?channels=alerts,billing');
    await gw.publish([
      note('gina', 'chat'),
      note('gina', 'alert', { channel: 'alerts' }),
      note('gina', 'bill', { channel: 'billing' }),
    ]);
    const events = await sse.waitForEvents(2);
    expect(events.map((e) => JSON.parse(e.data).channel)).toEqual(['alerts', 'billing']);
    sse.close();
  });

  it('sends heartbeat comments that do not move the cursor', async () => {
    const sse = await stream('hank');
    await until('position', () => sse.lastEventId !== undefined);
    const before = sse.lastEventId;
    expect(await sse.waitForComment(2000)).toBe('heartbeat');
    expect(await sse.waitForComment(2000)).toBe('heartbeat');
    expect(sse.lastEventId).toBe(before);
    expect(sse.events).toHaveLength(0);
    sse.close();
  });

  it('answers 429 with Retry-After over the per-user cap, before any SSE header, and frees the slot', async () => {
    const open = await Promise.all([1, 2, 3].map(() => stream('ivan')));
    expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
    const refused = await stream('ivan');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe(String(gw.config.CONNECTION_RETRY_AFTER_SECONDS));
    expect(refused.headers['content-type']).toMatch(/application\/json/);
    expect(refused.body).toMatchObject({ error: 'too_many_connections', reason: 'user_cap' });
    open[0].close();
    await until('the slot to be freed', () => limiter.countFor('ivan') === 2);
    const again = await stream('ivan');
    expect(again.status).toBe(200);
    [again, open[1], open[2]].forEach((s) => s.close());
    await until('all of ivan’s slots to be freed', () => limiter.countFor('ivan') === 0);
  });

  it('leaves the limiter and the hub at zero after 1 000 connect/disconnect cycles', async () => {
    await until('earlier tests’ connections to close', () => limiter.total === 0);
    const token = await gw.token('churn');
    for (let round = 0; round < 100; round++) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, () =>
          openSse(`${gw.url}/v1/notifications/stream`, { authorization: `Bearer ${token}` }),
        ),
      );
      // Over the cap of 3 some are refused: refused ones must not hold slots either.
      batch.forEach((s) => s.close());
      await Promise.all(batch.map((s) => s.ended));
    }
    await until('the limiter to drain', () => limiter.total === 0, 10_000);
    await until(
      'the hub to drain',
      () => hub.listenerCount === 0 && hub.connectedUsers === 0,
      10_000,
    );
  });

  it('answers 401 for a missing, bad or expired token, before any SSE header', async () => {
    const url = `${gw.url}/v1/notifications/stream`;
    const expired = await gw.token('kim', { ttlSeconds: -60 });
    const cases: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: `Bearer ${expired}` },
    ];
    for (const headers of cases) {
      const res = await openSse(url, headers);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.body).toMatchObject({ error: 'unauthorized' });
    }
    const tokenOfOther = await gw.token('kim');
    const viaCookie = await openSse(url, { cookie: `access_token=${tokenOfOther}` });
    expect(viaCookie.status).toBe(200);
    viaCookie.close();
  });

  it('cannot be made to inject an event through CR/LF in any field', async () => {
    const sse = await stream('lena');
    const tok = await gw.publisherToken();
    const attempts = [
      note('lena', 'x', { type: 'a\r\nevent: reset\r\ndata: {}' }),
      note('lena', 'x', { channel: 'chat\nevent: reset' }),
      { userId: 'lena\nid: 1', type: 't' },
    ];
    for (const body of attempts) {
      const res = await fetch(`${gw.url}/v1/notifications`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
    }
    const evil = 'x\r\n\r\nevent: reset\nid: 999\ndata: {"hacked":true}\n\n';
    const ok = await gw.publish(note('lena', evil));
    const [ev] = await sse.waitForEvents(1);
    expect(sse.events).toHaveLength(1);
    expect(ev).toMatchObject({ event: 'notification', id: ok.results[0].id });
    expect(JSON.parse(ev.data).payload.text).toBe(evil);
    sse.close();
  });

  /** A stream opened by hand over TCP; `version` is the request line's end (and any headers). */
  const rawStream = async (user: string, version: string) => {
    const socket = net.connect(Number(new URL(gw.url).port), '127.0.0.1');
    await once(socket, 'connect');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    const token = await gw.token(user);
    socket.write(
      `GET /v1/notifications/stream ${version}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    await until('the stream to open', () => text.includes('retry:'));
    return { socket, received: () => text };
  };

  // A stream's connection lets go of its HTTP parser once the headers are out (http-parser-release.ts):
  // the server must still notice the client leaving, and ignore whatever the client sends.
  it('over a raw connection: ignores bytes sent after the request, and frees the slot when the client half-closes', async () => {
    await until('earlier tests’ connections to close', () => limiter.total === 0);
    const { socket, received } = await rawStream('raw', 'HTTP/1.1\r\nHost: x');
    expect(received()).toMatch(/^HTTP\/1\.1 200/);
    // A pipelined request, and garbage: neither is answered, neither breaks the stream.
    socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n\u0000\u0001 not http at all\r\n');
    const { results } = await gw.publish(note('raw', 'after the noise'));
    await until('the notification', () => received().includes(`id: ${results[0].id}`));
    expect(received().match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(limiter.countFor('raw')).toBe(1);
    // Half-close: the client says it will send nothing more. The server closes its side too.
    socket.end();
    await once(socket, 'close');
    await until('the slot to be freed', () => limiter.countFor('raw') === 0);
    await until('the hub to forget the user', () => hub.connectedUsers === 0);
  });

  it('streams to an HTTP/1.0 client without chunked encoding, the body ending with the connection', async () => {
    const { socket, received } = await rawStream('old', 'HTTP/1.0');
    const { results } = await gw.publish(note('old', 'plain'));
    await until('the notification', () => received().includes(`id: ${results[0].id}`));
    const [head, body] = received().split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head.toLowerCase()).not.toContain('transfer-encoding');
    // Events straight after the headers, no chunk sizes between them.
    expect(body).toMatch(/^retry: \d+\nid: [^\n]+\n\nevent: notification\nid: /);
    socket.destroy();
    await until('the slot to be freed', () => limiter.countFor('old') === 0);
  });
});

describe('SSE on shutdown', () => {
  it('ends open streams and releases their slots when the application closes', async () => {
    const gw = await startGateway();
    const limiter = gw.app.get<LocalConnectionLimiter>(CONNECTION_LIMITER);
    const sse = await openSse(`${gw.url}/v1/notifications/stream`, {
      authorization: `Bearer ${await gw.token('closing')}`,
    });
    await until('the stream to be counted', () => limiter.total === 1);
    await gw.close();
    await sse.ended;
    expect(limiter.total).toBe(0);
  });
});
