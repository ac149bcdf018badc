import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGateway, type TestGateway } from './support/gateway.js';
import { scrapeMetrics, waitForMetrics } from './support/metrics-scrape.js';
import { openSse } from './support/sse-client.js';

describe('/metrics', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ SSE_HEARTBEAT_MS: '100', MAX_CONNECTIONS_PER_USER: '1' });
  });
  afterAll(() => gw.close());

  const stream = async (user: string, headers?: Record<string, string>) =>
    openSse(
      `${gw.url}/v1/notifications/stream`,
      headers ?? { authorization: `Bearer ${await gw.token(user)}` },
    );

  it('serves the Prometheus text format with the default process metrics', async () => {
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text).toContain('# TYPE gateway_delivery_latency_seconds histogram');
  });

  it('counts connects, deliveries, latency, heartbeats and ingest, and the open-connection gauge', async () => {
    const before = await scrapeMetrics(gw.url);
    const sse = await stream('metrics-alice');
    expect(sse.status).toBe(200);
    await gw.publish({ userId: 'metrics-alice', channel: 'chat', type: 't', payload: {} });
    await gw.publish([
      { userId: 'metrics-alice', channel: 'chat', type: 't', payload: {} },
      { userId: 'someone-else', channel: 'chat', type: 't', payload: {} },
    ]);
    await sse.waitForEvents(2);
    await sse.waitForComment();

    const s = await scrapeMetrics(gw.url);
    const delta = (key: string) => (s.get(key) ?? 0) - (before.get(key) ?? 0);
    expect(s.get('gateway_connections{transport="sse"}')).toBe(1);
    expect(s.get('gateway_connections{transport="ws"}')).toBe(0);
    expect(delta('gateway_connects_total{transport="sse"}')).toBe(1);
    expect(delta('gateway_notifications_ingested_total{source="http"}')).toBe(3);
    expect(delta('gateway_deliveries_total{transport="sse"}')).toBe(2);
    expect(delta('gateway_delivery_latency_seconds_count{transport="sse"}')).toBe(2);
    expect(delta('gateway_delivery_latency_seconds_bucket{le="+Inf",transport="sse"}')).toBe(2);
    expect(delta('gateway_heartbeats_total{transport="sse"}')).toBeGreaterThanOrEqual(1);
    expect(s.get('gateway_history_notifications')).toBeGreaterThanOrEqual(3);

    sse.close();
    await waitForMetrics(gw.url, (m) => m.get('gateway_connections{transport="sse"}') === 0);
  });

  it('counts long-poll connects and deliveries', async () => {
    const before = await scrapeMetrics(gw.url);
    const token = await gw.token('metrics-carol');
    const { results } = await gw.publish([
      { userId: 'metrics-carol', channel: 'chat', type: 't', payload: {} },
      { userId: 'metrics-carol', channel: 'chat', type: 't', payload: {} },
    ]);
    const after = `${results[0].id.replace(/-[^-]+$/, '')}-0`;
    const res = await fetch(`${gw.url}/v1/notifications/poll?after=${after}&timeout=0`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { notifications: unknown[] };
    expect(body.notifications).toHaveLength(2);
    const s = await scrapeMetrics(gw.url);
    const delta = (key: string) => (s.get(key) ?? 0) - (before.get(key) ?? 0);
    expect(delta('gateway_connects_total{transport="longpoll"}')).toBe(1);
    expect(delta('gateway_deliveries_total{transport="longpoll"}')).toBe(2);
    expect(delta('gateway_delivery_latency_seconds_count{transport="longpoll"}')).toBe(2);
  });

  it('counts connection rejections by reason: auth and cap, but not a refused publish', async () => {
    const before = await scrapeMetrics(gw.url);
    const noToken = await stream('x', {});
    expect(noToken.status).toBe(401);
    const badToken = await stream('x', { authorization: 'Bearer not-a-jwt' });
    expect(badToken.status).toBe(401);
    const publish = await fetch(`${gw.url}/v1/notifications`, { method: 'POST' });
    expect(publish.status).toBe(401);

    const first = await stream('metrics-bob');
    expect(first.status).toBe(200);
    const second = await stream('metrics-bob');
    expect(second.status).toBe(429);
    first.close();

    const s = await scrapeMetrics(gw.url);
    const delta = (key: string) => (s.get(key) ?? 0) - (before.get(key) ?? 0);
    expect(delta('gateway_connection_rejections_total{reason="auth",transport="sse"}')).toBe(2);
    expect(delta('gateway_connection_rejections_total{reason="cap",transport="sse"}')).toBe(1);
    expect(delta('gateway_connects_total{transport="sse"}')).toBe(1);
  });
});
