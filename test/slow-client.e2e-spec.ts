import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import {
  httpPublisher,
  spawnGateway,
  userToken,
  type GatewayProcess,
} from './support/gateway-process.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { openSse } from './support/sse-client.js';
import { scrapeMetrics } from './support/metrics-scrape.js';

const MB = 1024 * 1024;

/** Resident memory of a process, in bytes. */
const rss = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

describe('a client that stops reading', () => {
  let redis: TestRedis;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      SSE_MAX_PENDING_BYTES: String(MB),
      PAYLOAD_MAX_BYTES: String(64 * 1024),
      HISTORY_MAX_PER_USER: '20',
      LOG_LEVEL: 'info',
    };
    // Publishing goes through B, so A's memory is only what it delivers.
    [a, b] = await Promise.all([spawnGateway(env), spawnGateway(env)]);
  });
  afterAll(async () => {
    a.kill('SIGKILL');
    b.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);
    await redis.close();
  });

  it('is disconnected with memory bounded while others keep receiving', async () => {
    // A raw socket that sends its request and then never reads a byte.
    const token = await userToken('slowpoke');
    const slow: Socket = connect(Number(new URL(a.url).port), '127.0.0.1');
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.write(
      `GET /v1/notifications/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    slow.pause();
    const slowClosed = new Promise<void>((r) => slow.once('close', () => r()));
    const normal = await openSse(`${a.url}/v1/notifications/stream`, {
      authorization: `Bearer ${await userToken('normal')}`,
    });
    const baseline = rss(a.pid);
    let peak = baseline;
    const payload = { blob: 'x'.repeat(60 * 1024) };
    const publish = httpPublisher(b.url);
    const lateness: number[] = [];
    const rounds = 90; // 90 × 10 × 60 KB ≈ 53 MB for the slow client
    for (let r = 0; r < rounds; r++) {
      const batch = [
        ...Array.from({ length: 10 }, () => ({ userId: 'slowpoke', type: 'bulk', payload })),
        { userId: 'normal', type: 'ping', payload: { r } },
      ];
      const sent = Date.now();
      await publish(batch);
      await normal.waitForEvents(r + 1, 5000);
      lateness.push(Date.now() - sent);
      peak = Math.max(peak, rss(a.pid));
    }
    // Reading now shows what the server had sent before it gave up on the client.
    let received = 0;
    slow.on('data', (c: Buffer) => (received += c.length));
    slow.resume();
    let timer: NodeJS.Timeout | undefined;
    const closedInTime = await Promise.race([
      slowClosed.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000))),
    ]);
    clearTimeout(timer);
    if (!closedInTime)
      console.log(
        a
          .output()
          .split('\n')
          .filter((l) => /WARN|ERROR/.test(l)),
      );
    expect(closedInTime).toBe(true);
    expect(received).toBeLessThan(40 * MB);
    expect(peak - baseline).toBeLessThan(40 * MB);
    expect(normal.events).toHaveLength(rounds);
    expect(Math.max(...lateness)).toBeLessThan(2000);
    const metrics = await scrapeMetrics(a.url);
    expect(metrics.get('gateway_slow_client_disconnects_total{transport="sse"}')).toBe(1);
    normal.close();
  }, 120_000);
});
