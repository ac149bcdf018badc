import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGateway, type TestGateway } from './support/gateway.js';
import { openSse } from './support/sse-client.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

describe('client bundle, demo page and dev tokens', () => {
  let dev: TestGateway;
  let prod: TestGateway;
  beforeAll(async () => {
    execFileSync(process.execPath, [`${ROOT}client/build.mjs`], { stdio: 'inherit' });
    [dev, prod] = await Promise.all([
      startGateway({ JWT_SECRET: '', SSE_HEARTBEAT_MS: '750' }),
      startGateway(),
    ]);
  });
  afterAll(() => Promise.all([dev?.close(), prod?.close()]));

  it('serves the client bundle at a stable path in every profile, revalidated by ETag', async () => {
    for (const gw of [dev, prod]) {
      const res = await fetch(`${gw.url}/client/notify-client.js`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toMatch(/export\s*\{[^}]*\bconnect\b/);
      const etag = res.headers.get('etag')!;
      const again = await fetch(`${gw.url}/client/notify-client.js`, {
        headers: { 'if-none-match': etag },
      });
      expect(again.status).toBe(304);
    }
  });

  it('serves the demo page and mints tokens only in the dev profile', async () => {
    const page = await fetch(`${dev.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/client/demo.js">');
    expect((await fetch(`${dev.url}/client/demo.js`)).status).toBe(200);

    expect((await fetch(`${prod.url}/`)).status).toBe(404);
    expect((await fetch(`${prod.url}/client/demo.js`)).status).toBe(404);
    const mint = await fetch(`${prod.url}/dev/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'alice' }),
    });
    expect(mint.status).toBe(404);
  });

  const mint = (body: unknown) =>
    fetch(`${dev.url}/dev/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('mints a subscriber token that opens the stream and a publisher token that publishes', async () => {
    const res = await mint({ userId: 'dora', ttlSeconds: 60 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { userId: string; token: string; publisherToken: string };
    expect(body.userId).toBe('dora');
    const sse = await openSse(`${dev.url}/v1/notifications/stream`, {
      authorization: `Bearer ${body.token}`,
    });
    expect(sse.status).toBe(200);
    const published = await fetch(`${dev.url}/v1/notifications`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${body.publisherToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ userId: 'dora', channel: 'chat', type: 't', payload: {} }),
    });
    expect(published.status).toBe(202);
    const [ev] = await sse.waitForEvents(1);
    expect(ev.event).toBe('notification');
    sse.close();
  });

  it('refuses a bad user id or lifetime with a clear 400', async () => {
    for (const [body, field] of [
      [{}, 'userId'],
      [{ userId: 'no spaces' }, 'userId'],
      [{ userId: 'x'.repeat(129) }, 'userId'],
      [{ userId: 'ok', ttlSeconds: 0 }, 'ttlSeconds'],
      [{ userId: 'ok', ttlSeconds: 12 * 3600 + 1 }, 'ttlSeconds'],
    ] as const) {
      const res = await mint(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: 'bad_request',
        problems: [expect.objectContaining({ field })],
      });
    }
  });

  it('tells SSE clients the heartbeat interval in a response header', async () => {
    const sse = await openSse(`${dev.url}/v1/notifications/stream`, {
      authorization: `Bearer ${await dev.token('hb')}`,
    });
    expect(sse.headers['heartbeat-interval-ms']).toBe('750');
    sse.close();
  });
});
