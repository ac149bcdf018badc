import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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

  const post = async (body: string | object, token?: string) => {
    const res = await fetch(`${gw.url}/v1/notifications`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token ?? (await gw.publisherToken())}`,
        'content-type': 'application/json',
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
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
    expect((await post({ userId: 'a', type: 't' }, await gw.token('a'))).status).toBe(403);
    expect((await post({ userId: 'a', type: 't' }, 'garbage')).status).toBe(401);
  });
});
