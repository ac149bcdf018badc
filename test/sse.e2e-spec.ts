import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGateway, type TestGateway } from './support/gateway.js';
import { openSse } from './support/sse-client.js';

describe('SSE delivery', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ SSE_HEARTBEAT_MS: '200' });
  });
  afterAll(() => gw.close());

  const stream = async (user: string, query = '', headers: Record<string, string> = {}) =>
    openSse(`${gw.url}/v1/notifications/stream${query}`, {
      authorization: `Bearer ${await gw.token(user)}`,
      ...headers,
    });

  it('delivers a published notification with its id', async () => {
    const sse = await stream('alice');
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    const { results } = await gw.publish({
      userId: 'alice',
      channel: 'chat',
      type: 'message.created',
      payload: { text: 'hi' },
    });
    const [ev] = await sse.waitForEvents(1);
    expect(ev.event).toBe('notification');
    expect(ev.id).toBe(results[0].id);
    expect(JSON.parse(ev.data)).toMatchObject({
      id: results[0].id,
      channel: 'chat',
      type: 'message.created',
      payload: { text: 'hi' },
    });
    expect(sse.retry).toBe(gw.config.SSE_RETRY_MS);
    sse.close();
  });
});
