import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { CONNECTION_LIMITER } from '../src/app.tokens.js';
import type { ConnectionLimiter } from '../src/connections/connection-limiter.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { openSse } from './support/sse-client.js';

/** The SSE writer's framing, heartbeat, resume, slot release and slow-client bound. */
describe('SSE stream writer', () => {
  let gw: TestGateway;
  let limiter: ConnectionLimiter;
  beforeAll(async () => {
    gw = await startGateway({ SSE_HEARTBEAT_MS: '150', PAYLOAD_MAX_BYTES: '65536' });
    limiter = gw.app.get(CONNECTION_LIMITER);
  });
  afterAll(() => gw.close());

  const stream = async (user: string, headers: Record<string, string> = {}, query = '') =>
    openSse(`${gw.url}/v1/notifications/stream${query}`, {
      authorization: `Bearer ${await gw.token(user)}`,
      ...headers,
    });

  async function until(ok: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('sends heartbeat comments that do not move the cursor', async () => {
    const sse = await stream('hb-user');
    await until(() => sse.lastEventId !== undefined, 'the position frame');
    const cursor = sse.lastEventId;
    expect(await sse.waitForComment(2000)).toBe('heartbeat');
    expect(sse.lastEventId).toBe(cursor);
    expect(sse.events).toHaveLength(0);
    sse.close();
  });

  it('resumes after Last-Event-ID with what was missed, then live, in order', async () => {
    const first = await gw.publish({ userId: 'resumer', type: 'a', payload: 1 });
    const missed = await gw.publish([
      { userId: 'resumer', type: 'b', payload: 2 },
      { userId: 'resumer', type: 'c', payload: 3 },
    ]);
    const sse = await stream('resumer', { 'last-event-id': first.results[0].id });
    await sse.waitForEvents(2);
    const live = await gw.publish({ userId: 'resumer', type: 'd', payload: 4 });
    const events = await sse.waitForEvents(3);
    expect(events.map((e) => e.id)).toEqual([...missed.results, ...live.results].map((r) => r.id));
    expect(events.map((e) => JSON.parse(e.data).type)).toEqual(['b', 'c', 'd']);
    expect(sse.retry).toBe(gw.config.SSE_RETRY_MS);
    sse.close();
  });

  it('answers a bad cursor with a JSON 400 before any stream starts', async () => {
    const sse = await stream('bad-cursor', { 'last-event-id': 'not an id' });
    expect(sse.status).toBe(400);
    expect(sse.body).toMatchObject({ error: 'bad_request', message: 'invalid cursor' });
  });

  it('gives the connection slot back when the client leaves', async () => {
    const before = limiter.total;
    const sse = await stream('leaver');
    await until(() => limiter.total === before + 1, 'the slot to be taken');
    sse.close();
    await until(() => limiter.total === before, 'the slot to be released');
  });

  it('drops a client that stops reading once its backlog passes the bound', async () => {
    const token = await gw.token('sleeper');
    // The client never reads, so only the server side can show the drop: its slot comes back.
    const req = http.get(`${gw.url}/v1/notifications/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    req.on('error', () => {});
    req.on('response', (res) => {
      res.pause();
      res.socket.pause();
    });
    await until(() => limiter.countFor('sleeper') === 1, 'the slow client to connect');
    const big = { text: 'x'.repeat(60_000) };
    for (let i = 0; i < 12 && limiter.countFor('sleeper') === 1; i++) {
      await gw.publish(
        Array.from({ length: 50 }, () => ({ userId: 'sleeper', type: 'big', payload: big })),
      );
    }
    await until(() => limiter.countFor('sleeper') === 0, 'the slow client to be dropped');
    req.destroy();
  }, 30_000);
});
