import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONNECTION_LIMITER } from '../src/app.tokens.js';
import type { LocalConnectionLimiter } from '../src/connections/connection-limiter.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { until } from './support/wait.js';
import { connectWs, refusal } from './support/ws-client.js';

/** A throwaway self-signed certificate for 127.0.0.1, made with the system's openssl. */
function selfSignedCert(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    const args = 'req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1'.split(
      ' ',
    );
    execFileSync(
      'openssl',
      [...args, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'].concat([
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ]),
      { stdio: 'pipe' },
    );
  } catch (err) {
    throw new Error(`the TLS test needs openssl on PATH to make a certificate: ${String(err)}`, {
      cause: err,
    });
  }
  return { certFile, keyFile };
}

function httpsRequest(
  url: string,
  options: https.RequestOptions,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTPS and WSS', () => {
  let dir: string;
  let ca: Buffer;
  let gw: TestGateway;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
    const { certFile, keyFile } = selfSignedCert(dir);
    ca = readFileSync(certFile);
    gw = await startGateway({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
    base = `https://127.0.0.1:${gw.port}`;
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Publishes over HTTPS; resolves with the notification's id. */
  const publish = async (userId: string, payload: object): Promise<string> => {
    const published = await httpsRequest(
      `${base}/v1/notifications`,
      {
        method: 'POST',
        ca,
        headers: {
          authorization: `Bearer ${await gw.publisherToken()}`,
          'content-type': 'application/json',
        },
      },
      JSON.stringify({ userId, channel: 'chat', type: 't', payload }),
    );
    expect(published.status).toBe(202);
    return (JSON.parse(published.body) as { results: { id: string }[] }).results[0].id;
  };

  it('serves HTTPS and delivers over WSS on the same port', async () => {
    const c = await connectWs(`wss://127.0.0.1:${gw.port}/v1/ws`, {
      ca,
      headers: { authorization: `Bearer ${await gw.token('tls-user')}` },
    });
    c.send('subscribe', { channels: ['chat'] });
    await c.next('subscribed');

    const id = await publish('tls-user', { secure: true });
    expect((await c.next('notification')).data).toMatchObject({ id, payload: { secure: true } });
    await c.close();
  });

  // The stream releases its connection's HTTP parser (http-parser-release.ts) over TLS as well.
  it('streams SSE over HTTPS, and frees the slot when the client goes', async () => {
    const limiter = gw.app.get<LocalConnectionLimiter>(CONNECTION_LIMITER);
    let text = '';
    const req = https.get(`${base}/v1/notifications/stream`, {
      ca,
      headers: { authorization: `Bearer ${await gw.token('tls-sse')}` },
    });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
    });
    req.on('error', () => undefined);
    await until('the stream to open', () => text.includes('retry:'));
    const id = await publish('tls-sse', { n: 1 });
    await until('the notification', () => text.includes(`id: ${id}`));
    expect(limiter.countFor('tls-sse')).toBe(1);
    req.destroy();
    await until('the slot to be freed', () => limiter.countFor('tls-sse') === 0);
  });

  it('refuses a WSS upgrade without a token with 401 over TLS', async () => {
    const refused = await refusal(connectWs(`wss://127.0.0.1:${gw.port}/v1/ws`, { ca }));
    expect(refused.status).toBe(401);
    expect(await refused.body).toMatchObject({ error: 'unauthorized' });
  });

  it('speaks only TLS on the port', async () => {
    await expect(fetch(`http://127.0.0.1:${gw.port}/v1/notifications/stream`)).rejects.toThrow();
    // The certificate is really checked: without trusting it, the handshake fails.
    await expect(httpsRequest(`${base}/v1/notifications/stream`, {})).rejects.toThrow(
      /self-signed|self signed/,
    );
  });
});
