import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CONNECTION_LIMITER } from '../src/app.tokens.js';
import type { LocalConnectionLimiter } from '../src/connections/connection-limiter.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { openSse } from './support/sse-client.js';
import { until } from './support/wait.js';

interface PollBody {
  notifications: { id: string; payload: unknown; channel: string }[];
  cursor: string;
  reset: boolean;
  hasMore?: boolean;
}

describe('long polling and history listing', () => {
  let gw: TestGateway;
  let limiter: LocalConnectionLimiter;
  beforeAll(async () => {
    gw = await startGateway({ MAX_CONNECTIONS_PER_USER: '2', HISTORY_MAX_PER_USER: '5' });
    limiter = gw.app.get(CONNECTION_LIMITER);
  });
  afterAll(() => gw.close());

  const get = async (user: string, path: string, signal?: AbortSignal) => {
    const res = await fetch(`${gw.url}${path}`, {
      headers: { authorization: `Bearer ${await gw.token(user)}` },
      signal,
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as PollBody };
  };
  const note = (userId: string, text: string, channel = 'chat') => ({
    userId,
    channel,
    type: 't',
    payload: text,
  });

  it('answers at once with the backlog after the cursor', async () => {
    const first = await gw.publish(note('pa', 'one'));
    const rest = await gw.publish([note('pa', 'two'), note('pb', 'not mine'), note('pa', 'three')]);
    const started = Date.now();
    const r = await get('pa', `/v1/notifications/poll?after=${first.results[0].id}&timeout=30`);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.status).toBe(200);
    expect(r.body.notifications.map((n) => n.payload)).toEqual(['two', 'three']);
    expect(r.body.cursor).toBe(rest.results[2].id);
    expect(r.body.reset).toBe(false);
  });

  it('holds until a notification is published, then wakes with it', async () => {
    const head = await gw.publish(note('pc', 'before'));
    const pending = get('pc', `/v1/notifications/poll?after=${head.results[0].id}&timeout=30`);
    await until('the poll to be held', () => limiter.countFor('pc') === 1);
    const pub = await gw.publish(note('pc', 'wake'));
    const r = await pending;
    expect(r.body.notifications.map((n) => n.id)).toEqual([pub.results[0].id]);
    expect(r.body.cursor).toBe(pub.results[0].id);
  });

  it('times out with an empty list and the same cursor', async () => {
    const head = await gw.publish(note('pd', 'x'));
    const r = await get('pd', `/v1/notifications/poll?after=${head.results[0].id}&timeout=1`);
    expect(r.body).toEqual({ notifications: [], cursor: head.results[0].id, reset: false });
  });

  it('without a cursor starts from now; timeout=0 is plain polling', async () => {
    await gw.publish(note('pe', 'old'));
    const r = await get('pe', '/v1/notifications/poll?timeout=0');
    expect(r.body.notifications).toEqual([]);
    const pub = await gw.publish(note('pe', 'new'));
    const next = await get('pe', `/v1/notifications/poll?after=${r.body.cursor}&timeout=0`);
    expect(next.body.notifications.map((n) => n.id)).toEqual([pub.results[0].id]);
  });

  it('answers reset for a cursor older than the history', async () => {
    const first = await gw.publish(note('pf', 'old'));
    await gw.publish(Array.from({ length: 6 }, (_, i) => note('pf', `n${i}`)));
    const r = await get('pf', `/v1/notifications/poll?after=${first.results[0].id}`);
    expect(r.body.reset).toBe(true);
    expect(r.body.notifications).toEqual([]);
    const pub = await gw.publish(note('pf', 'after'));
    const next = await get('pf', `/v1/notifications/poll?after=${r.body.cursor}&timeout=5`);
    expect(next.body.notifications.map((n) => n.id)).toEqual([pub.results[0].id]);
  });

  it('filters channels', async () => {
    const head = await gw.publish(note('pg', 'x'));
    await gw.publish([note('pg', 'chat'), note('pg', 'alert', 'alerts')]);
    const r = await get('pg', `/v1/notifications/poll?after=${head.results[0].id}&channels=alerts`);
    expect(r.body.notifications.map((n) => n.channel)).toEqual(['alerts']);
  });

  it('counts a held poll against the same cap as SSE and frees it when the client leaves', async () => {
    const sse = await openSse(`${gw.url}/v1/notifications/stream`, {
      authorization: `Bearer ${await gw.token('ph')}`,
    });
    const abort = new AbortController();
    const held = get('ph', '/v1/notifications/poll?timeout=30', abort.signal).catch(
      (e: Error) => e,
    );
    await until('both slots taken', () => limiter.countFor('ph') === 2);
    const refused = await get('ph', '/v1/notifications/poll?timeout=0');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    abort.abort();
    expect(await held).toMatchObject({ name: 'AbortError' });
    await until('the poll’s slot to be freed', () => limiter.countFor('ph') === 1);
    sse.close();
  });

  it('rejects bad parameters with 400 naming the field', async () => {
    for (const [q, field] of [
      ['timeout=56', 'timeout'],
      ['timeout=-1', 'timeout'],
      ['after=%0Aevil', 'after'],
      ['channels=a%0Ab', 'channels'],
    ]) {
      const r = await get('pi', `/v1/notifications/poll?${q}`);
      expect(r.status).toBe(400);
      expect((r.body as unknown as { problems: { field: string }[] }).problems[0].field).toBe(
        field,
      );
    }
  });

  it('lists retained history oldest first, paged by cursor', async () => {
    const pub = await gw.publish([1, 2, 3].map((i) => note('pj', `n${i}`)));
    const ids = pub.results.map((r) => r.id);
    const page1 = await get('pj', '/v1/notifications?limit=2');
    expect(page1.body.notifications.map((n) => n.id)).toEqual(ids.slice(0, 2));
    expect(page1.body.hasMore).toBe(true);
    const page2 = await get('pj', `/v1/notifications?after=${page1.body.cursor}&limit=2`);
    expect(page2.body.notifications.map((n) => n.id)).toEqual(ids.slice(2));
    expect(page2.body.hasMore).toBe(false);
    const empty = await get('pj', `/v1/notifications?after=${page2.body.cursor}`);
    expect(empty.body).toMatchObject({
      notifications: [],
      cursor: page2.body.cursor,
      hasMore: false,
    });
    expect((await get('pk', '/v1/notifications')).body.notifications).toEqual([]);
  });
});
