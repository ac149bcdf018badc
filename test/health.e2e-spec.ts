import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ReadinessChecks } from '../src/health/readiness-checks.js';
import { startGateway, type TestGateway } from './support/gateway.js';

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Blocks this process's event loop, which the in-process gateway shares. */
function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

describe('health', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ HEALTH_MAX_LOOP_DELAY_MS: '150' });
  });
  afterAll(() => gw.close());

  it('is ready with no checks registered, and names each registered check', async () => {
    expect(await get(`${gw.url}/health/ready`)).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    const remove = gw.app.get(ReadinessChecks).register({
      name: 'kafka',
      check: () => ({ ok: true, detail: '3 partitions assigned' }),
    });
    try {
      expect(await get(`${gw.url}/health/ready`)).toMatchObject({
        status: 200,
        body: { info: { kafka: { status: 'up', detail: '3 partitions assigned' } } },
      });
    } finally {
      remove();
    }
  });

  it('is not ready while a check fails, throws or hangs, and stays live all the while', async () => {
    const checks = gw.app.get(ReadinessChecks);
    const removers = [
      checks.register({ name: 'redis', check: () => ({ ok: false, detail: 'ECONNREFUSED' }) }),
      checks.register({
        name: 'broken',
        check: () => {
          throw new Error('broken check');
        },
      }),
      checks.register({ name: 'kafka', check: () => new Promise(() => {}) }),
      checks.register({ name: 'ok', check: async () => ({ ok: true }) }),
    ];
    try {
      const ready = await get(`${gw.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        status: 'error',
        error: {
          redis: { status: 'down', message: 'ECONNREFUSED' },
          broken: { status: 'down', message: 'broken check' },
          kafka: { status: 'down', message: expect.stringMatching(/timeout/) },
        },
        info: { ok: { status: 'up' }, drain: { status: 'up' } },
      });
      expect((await get(`${gw.url}/health/live`)).status).toBe(200);
    } finally {
      for (const remove of removers) remove();
    }
    expect((await get(`${gw.url}/health/ready`)).status).toBe(200);
  });

  it('fails liveness when the event loop stalls past HEALTH_MAX_LOOP_DELAY_MS', async () => {
    expect(await get(`${gw.url}/health/live`)).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { eventLoop: { status: 'up', limitMs: 150 } } },
    });
    // Longer than the sampling interval plus the limit, so some tick is late by more than the limit.
    blockEventLoop(600);
    const live = await get(`${gw.url}/health/live`);
    expect(live.status).toBe(503);
    expect(live.body).toMatchObject({ error: { eventLoop: { status: 'down', limitMs: 150 } } });
    expect(
      (live.body as { error: { eventLoop: { worstMs: number } } }).error.eventLoop.worstMs,
    ).toBeGreaterThan(150);
  });
});
