import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { CONNECTION_LIMITER } from '../src/app.tokens.js';
import type { ConnectionLimiter } from '../src/connections/connection-limiter.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { scrapeMetrics } from './support/metrics-scrape.js';
import { until } from './support/wait.js';

/** The bound on what may wait for an SSE client that does not read. */
describe('SSE backpressure', () => {
  let gw: TestGateway;
  let limiter: ConnectionLimiter;
  beforeAll(async () => {
    gw = await startGateway({ PAYLOAD_MAX_BYTES: '65536' });
    limiter = gw.app.get(CONNECTION_LIMITER);
  });
  afterAll(() => gw.close());

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
    await until('the slow client to connect', () => limiter.countFor('sleeper') === 1);
    const big = { text: 'x'.repeat(60_000) };
    for (let i = 0; i < 12 && limiter.countFor('sleeper') === 1; i++) {
      await gw.publish(
        Array.from({ length: 50 }, () => ({ userId: 'sleeper', type: 'big', payload: big })),
      );
    }
    await until('the slow client to be dropped', () => limiter.countFor('sleeper') === 0);
    expect(limiter.total).toBe(0);
    const samples = await scrapeMetrics(gw.url);
    expect(samples.get('gateway_slow_client_disconnects_total{transport="sse"}')).toBe(1);
    req.destroy();
  }, 30_000);
});
