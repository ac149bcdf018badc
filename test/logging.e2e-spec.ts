import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { PUBLISH_SCOPE, signToken } from '../src/auth/token-verifier.js';
import { createApp } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/app-config.js';
import { JsonLogger } from '../src/logging/json.logger.js';
import { openSse } from './support/sse-client.js';

const SECRET = 'logging-test-secret-0123456789-abcdefghijklmnop';

type Entry = Record<string, unknown>;

describe('structured logs', () => {
  let app: NestExpressApplication;
  let url: string;
  const lines: string[] = [];
  const waiters = new Set<() => void>();

  /** Resolves with the first logged entry matching `ok`, present or to come. */
  function waitForEntry(ok: (e: Entry) => boolean, timeoutMs = 5000): Promise<Entry> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.map((l) => JSON.parse(l) as Entry).find(ok);
        if (!found) return false;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching log entry in:\n${lines.join('\n')}`));
      }, timeoutMs);
      if (!check()) waiters.add(check);
    });
  }

  beforeAll(async () => {
    const config = loadConfig({ JWT_SECRET: SECRET, NODE_ENV: 'test', LOG_LEVEL: 'debug' });
    const logger = new JsonLogger('debug', (line) => {
      lines.push(line);
      for (const w of [...waiters]) w();
    });
    app = await createApp(config, { logger });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  const accessEntry = (reqId: string | null) =>
    waitForEntry((e) => e.context === 'Access' && e.reqId === reqId);

  it('writes one JSON object per line with level, time, context and msg', async () => {
    await fetch(`${url}/nowhere`);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toContain('\n');
      const e = JSON.parse(line) as Entry;
      expect(e).toMatchObject({ level: expect.any(String), time: expect.any(String) });
      expect(Number.isNaN(Date.parse(e.time as string))).toBe(false);
    }
  });

  it('logs each request once it closes: method, redacted url, status, duration, ids', async () => {
    const token = await signToken(SECRET, { sub: 'log-alice' });
    const sse = await openSse(`${url}/v1/notifications/stream?channels=chat`, {
      authorization: `Bearer ${token}`,
      'x-request-id': 'req-from-proxy-1',
    });
    expect(sse.status).toBe(200);
    expect(sse.headers['x-request-id']).toBe('req-from-proxy-1');
    sse.close();
    const entry = await accessEntry('req-from-proxy-1');
    expect(entry).toMatchObject({
      level: 'info',
      msg: 'request',
      method: 'GET',
      url: '/v1/notifications/stream?channels=chat',
      status: 200,
      userId: 'log-alice',
      aborted: true,
      durationMs: expect.any(Number),
    });

    const res = await fetch(`${url}/nowhere?x=1`, { headers: { 'x-request-id': 'bad id!' } });
    const generated = res.headers.get('x-request-id');
    expect(generated).toMatch(/^[\w-]{12}-[0-9a-z]+$/);
    expect(await accessEntry(generated)).toMatchObject({ status: 404, url: '/nowhere?x=1' });
  });

  it('never writes a token, whether sent in the header, a cookie or the query string', async () => {
    const valid = {
      subscriber: await signToken(SECRET, { sub: 'log-bob' }),
      publisher: await signToken(SECRET, { sub: 'log-pub', scope: PUBLISH_SCOPE }),
    };
    const forged = await signToken('some-other-secret-0123456789-abcdefghijklmnop', {
      sub: 'log-mallory',
    });
    const opaque = `opaque-credential-${Math.random().toString(36).slice(2)}`;
    const secrets = [valid.subscriber, valid.publisher, forged, opaque];
    const sent: string[] = [];
    const request = async (path: string, headers: Record<string, string>, method = 'GET') => {
      const reqId = `redaction-${sent.length}`;
      sent.push(reqId);
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...headers, 'x-request-id': reqId, 'content-type': 'application/json' },
        body: method === 'POST' ? '{"userId":"log-bob","channel":"c","type":"t"}' : undefined,
        signal: AbortSignal.timeout(1000),
      }).catch((err: Error) => err);
      if (res instanceof Response) await res.body?.cancel();
    };
    for (const token of secrets) {
      const q = encodeURIComponent(token);
      await request('/v1/notifications/stream', { authorization: `Bearer ${token}` });
      await request('/v1/notifications/stream', { cookie: `theme=dark; access_token=${q}` });
      await request(`/v1/notifications/stream?lastEventId=&access_token=${q}`, {});
      await request(`/v1/notifications?access_token=${q}`, {}, 'POST');
      await request('/v1/notifications', { authorization: `Bearer ${token}` }, 'POST');
      await request(`/nowhere?token=${q}&jwt=${q}`, { cookie: `access_token=${q}` });
    }
    for (const reqId of sent) await accessEntry(reqId);

    const out = lines.join('\n');
    for (const secret of secrets) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain(encodeURIComponent(secret));
      // A JWT's signature alone would still be a leak.
      expect(out).not.toContain(secret.split('.').at(-1));
    }
    const urls = lines
      .map((l) => JSON.parse(l) as Entry)
      .filter((e) => sent.includes(e.reqId as string))
      .map((e) => e.url);
    expect(urls).toContain('/v1/notifications/stream?lastEventId=&access_token=[REDACTED]');
    expect(urls).toContain('/nowhere?token=[REDACTED]&jwt=[REDACTED]');
  });
});
