import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGateway, type TestGateway } from './support/gateway.js';

/** Cross-origin front-ends: CORS for the listed origins only (CORS_ALLOWED_ORIGINS). */
describe('CORS', () => {
  let gw: TestGateway;
  let closed: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ CORS_ALLOWED_ORIGINS: 'https://App.example, http://localhost:5173' });
    closed = await startGateway();
  });
  afterAll(async () => {
    await gw.close();
    await closed.close();
  });

  it('answers a preflight for publishing from a listed origin', async () => {
    const res = await fetch(`${gw.url}/v1/notifications`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'authorization',
    );
  });

  it('lets a listed origin read a stream and the headers the client needs', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/v1/notifications/stream`, {
      headers: {
        origin: 'http://localhost:5173',
        authorization: `Bearer ${await gw.token('cors-user')}`,
      },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-expose-headers')).toContain('Heartbeat-Interval-Ms');
    expect(res.headers.get('heartbeat-interval-ms')).toBe(String(gw.config.SSE_HEARTBEAT_MS));
    controller.abort();
  });

  it('gives other origins, and every origin when none is configured, no CORS headers', async () => {
    for (const [target, origin] of [
      [gw, 'https://evil.example'],
      [closed, 'https://app.example'],
    ] as const) {
      const res = await fetch(`${target.url}/v1/notifications`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      await res.body?.cancel();
    }
  });

  it('lets a listed origin publish and read the answer, and no other origin read it', async () => {
    for (const [origin, allowed] of [
      ['https://app.example', 'https://app.example'],
      ['https://evil.example', null],
    ] as const) {
      const res = await fetch(`${gw.url}/v1/notifications`, {
        method: 'POST',
        headers: {
          origin,
          authorization: `Bearer ${await gw.publisherToken()}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ userId: 'cors-user', type: 't' }),
      });
      expect(res.status).toBe(202);
      expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
      if (allowed) {
        expect(res.headers.get('access-control-allow-credentials')).toBe('true');
        expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
      }
      await res.body?.cancel();
    }
  });
});
