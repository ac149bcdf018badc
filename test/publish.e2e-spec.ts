import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { HISTORY_STORE } from '../src/app.tokens.js';
import type { HistoryStore } from '../src/history/history-store.js';
import { startGateway, type TestGateway } from './support/gateway.js';

describe('HTTP publish API', () => {
  let gw: TestGateway;
  let store: HistoryStore;
  beforeAll(async () => {
    gw = await startGateway({
      PAYLOAD_MAX_BYTES: '1024',
      PUBLISH_MAX_BATCH: '3',
      PUBLISH_MAX_BODY_BYTES: '8192',
    });
    store = gw.app.get(HISTORY_STORE);
  });
  afterAll(() => gw.close());

  const post = async (
    body: string | object,
    token?: string,
    headers: Record<string, string> = {},
    path = '/v1/notifications',
  ) => {
    const res = await fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token ?? (await gw.publisherToken())}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as Record<string, unknown>,
    };
  };

  it('answers 202 with increasing event ids for a batch', async () => {
    const r = await post([
      { userId: 'a', type: 't' },
      { userId: 'b', type: 't' },
    ]);
    expect(r.status).toBe(202);
    const ids = (r.body.results as { id: string }[]).map((x) => x.id);
    expect(ids).toHaveLength(2);
    expect(parseInt(ids[1].split('-')[1], 36)).toBe(parseInt(ids[0].split('-')[1], 36) + 1);
  });

  it('rejects an invalid batch whole, listing every problem by field, storing nothing', async () => {
    const before = store.size();
    const r = await post([
      { userId: 'ok', type: 't' },
      { userId: 'bad user', type: 't', payload: 'x'.repeat(2000) },
    ]);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ statusCode: 400, error: 'bad_request' });
    expect((r.body.problems as { field: string }[]).map((p) => p.field)).toEqual([
      '[1].userId',
      '[1].payload',
    ]);
    expect(store.size()).toBe(before);
  });

  it('bounds the batch and the body', async () => {
    expect((await post([1, 2, 3, 4].map(() => ({ userId: 'a', type: 't' })))).status).toBe(400);
    expect((await post([])).status).toBe(400);
    const huge = await post({ userId: 'a', type: 't', payload: 'x'.repeat(10_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toBe('payload_too_large');
  });

  it('answers 400 for a body that is not JSON', async () => {
    const r = await post('{nope');
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('bad_request');
  });

  it('needs a token with the publish scope', async () => {
    const subscriber = await gw.token('a');
    // The second time the token is known already, and its scope is checked all the same.
    expect((await post({ userId: 'a', type: 't' }, subscriber)).status).toBe(403);
    expect((await post({ userId: 'a', type: 't' }, subscriber)).status).toBe(403);
    expect((await post({ userId: 'a', type: 't' }, 'garbage')).status).toBe(401);
  });

  it('answers 415 for a body that is not JSON in UTF-8, or is compressed, storing nothing', async () => {
    const before = store.size();
    const one = JSON.stringify({ userId: 'a', type: 't' });
    for (const headers of <Record<string, string>[]>[
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/json; charset=latin1' },
      { 'content-encoding': 'gzip' },
    ]) {
      const r = await post(one, undefined, headers);
      expect([headers, r.status]).toEqual([headers, 415]);
      expect(r.body.statusCode).toBe(415);
    }
    expect(store.size()).toBe(before);
    expect(
      (await post(one, undefined, { 'content-type': 'application/cloudevents+json' })).status,
    ).toBe(202);
  });

  it('is served at the path as Express matches it, and takes the token from the query', async () => {
    const one = { userId: 'a', type: 't' };
    expect((await post(one, undefined, {}, '/v1/notifications/')).status).toBe(202);
    const token = encodeURIComponent(await gw.publisherToken());
    const r = await fetch(`${gw.url}/V1/Notifications?access_token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(one),
    });
    expect(r.status).toBe(202);
    // Other methods and paths still reach Nest.
    const get = await fetch(`${gw.url}/v1/notifications/nope`, { method: 'POST' });
    expect(get.status).toBe(404);
    await get.body?.cancel();
  });

  it('keeps or gives a request id, and refuses a declared oversize body before reading it', async () => {
    const ok = await post({ userId: 'a', type: 't' }, undefined, { 'x-request-id': 'pub-1' });
    expect(ok.headers.get('x-request-id')).toBe('pub-1');
    expect((await post({ userId: 'a', type: 't' })).headers.get('x-request-id')).toMatch(
      /^[\w-]{12}-[0-9a-z]+$/,
    );
    // Declares 100 KB and sends only its headers: answered at once, connection closed.
    const answer = await rawRequest(
      gw.port,
      'POST /v1/notifications HTTP/1.1\r\nHost: x\r\n' +
        `Authorization: Bearer ${await gw.publisherToken()}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('answers 401 without reading the body of a caller without a token', async () => {
    const answer = await rawRequest(
      gw.port,
      'POST /v1/notifications HTTP/1.1\r\nHost: x\r\n' +
        'Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toMatch(/\r\nwww-authenticate: Bearer/i);
  });
});

/** Sends `head` on a raw socket and resolves with everything the server sends until it closes. */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('HTTP publish API, turned off (HTTP_PUBLISH_ENABLED=false)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ HTTP_PUBLISH_ENABLED: 'false' });
  });
  afterAll(() => gw.close());

  it('is neither served nor documented', async () => {
    const res = await fetch(`${gw.url}/v1/notifications`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await gw.publisherToken()}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ userId: 'a', type: 't' }),
    });
    expect(res.status).toBe(404);
    await res.body?.cancel();
    const doc = (await (await fetch(`${gw.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.paths['/v1/notifications']).toBeDefined();
    expect(doc.paths['/v1/notifications'].post).toBeUndefined();
  });
});
