import { describe, expect, it } from '@jest/globals';
import type { ConnectionLimiter } from '../connections/connection-limiter.js';
import type { HistoryStore } from '../history/history-store.js';
import { Metrics } from './metrics.service.js';

const limiter = {
  byTransport: () => ({ sse: 3, ws: 2, longpoll: 1 }),
} as unknown as ConnectionLimiter;
const history = { size: () => 42 } as unknown as HistoryStore;

async function value(m: Metrics, name: string, labels: Record<string, string> = {}) {
  const metric = await m.registry.getSingleMetric(name)!.get();
  const match = metric.values.find((v) =>
    Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return match?.value;
}

describe('Metrics', () => {
  it('reads connection counts and history size at scrape time', async () => {
    const m = new Metrics(limiter, history);
    expect(await value(m, 'gateway_connections', { transport: 'ws' })).toBe(2);
    expect(await value(m, 'gateway_connections', { transport: 'longpoll' })).toBe(1);
    expect(await value(m, 'gateway_history_notifications')).toBe(42);
  });

  it('observes publish-to-write latency in seconds', async () => {
    const m = new Metrics(limiter, history);
    m.delivered('ws', Date.now() - 2000);
    const h = await m.registry.getSingleMetric('gateway_delivery_latency_seconds')!.get();
    const inBucket = (le: number) =>
      h.values.find((v) => v.labels.le === le && v.labels.transport === 'ws')?.value;
    expect(inBucket(1)).toBe(0);
    expect(inBucket(2.5)).toBe(1);
    expect(await value(m, 'gateway_deliveries_total', { transport: 'ws' })).toBe(1);
  });

  it("exports Kafka records' age on arrival only for the source's topics, in seconds", async () => {
    const m = new Metrics(limiter, history);
    expect(m.registry.getSingleMetric('gateway_kafka_record_age_seconds')).toBeUndefined();
    const recordAge = m.kafkaRecordAges(['orders', 'chat']);
    recordAge('chat', 120_000);
    recordAge('chat', -5); // a producer clock ahead of ours
    recordAge('elsewhere', 1);
    const h = await m.registry.getSingleMetric('gateway_kafka_record_age_seconds')!.get();
    const count = (topic: string, le: number | string) =>
      h.values.find((v) => v.labels.le === le && v.labels.topic === topic)?.value;
    expect(count('chat', 0.001)).toBe(1);
    expect(count('chat', 60)).toBe(1);
    expect(count('chat', 300)).toBe(2);
    expect(count('orders', '+Inf')).toBe(0);
    expect(h.values.some((v) => v.labels.topic === 'elsewhere')).toBe(false);
  });

  it('drops per-partition lag on a rebalance, since the assignment changed', async () => {
    const m = new Metrics(limiter, history);
    m.kafkaLag('notifications', 0, 10);
    m.kafkaLag('notifications', 1, 5);
    expect(await value(m, 'gateway_kafka_consumer_lag', { partition: '1' })).toBe(5);
    m.kafkaRebalanced();
    m.kafkaLag('notifications', 0, 7);
    expect(await value(m, 'gateway_kafka_consumer_lag', { partition: '0' })).toBe(7);
    expect(await value(m, 'gateway_kafka_consumer_lag', { partition: '1' })).toBeUndefined();
    expect(await value(m, 'gateway_kafka_rebalances_total')).toBe(1);
  });

  it('keeps one registry per instance, so two apps in a process do not collide', async () => {
    const a = new Metrics(limiter, history);
    const b = new Metrics(limiter, history);
    a.ingested('kafka', 4);
    a.kafkaConsumed('notifications', 4);
    a.kafkaDeadLettered('notifications');
    a.redisError();
    a.slowClientDisconnected('sse');
    a.rejected('origin', 'ws');
    expect(await value(a, 'gateway_notifications_ingested_total', { source: 'kafka' })).toBe(4);
    expect(await value(b, 'gateway_notifications_ingested_total', { source: 'kafka' })).toBe(0);
    const text = await a.scrape();
    expect(text).toContain('gateway_kafka_messages_consumed_total{topic="notifications"} 4');
    expect(text).toContain('gateway_kafka_messages_dead_lettered_total{topic="notifications"} 1');
    expect(text).toContain('gateway_redis_errors_total 1');
    expect(text).toContain('gateway_slow_client_disconnects_total{transport="sse"} 1');
    expect(text).toContain('gateway_connection_rejections_total{reason="origin",transport="ws"} 1');
  });
});
