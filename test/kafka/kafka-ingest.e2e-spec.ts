import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Producer } from 'kafkajs';
import type { TestGateway } from '../support/gateway.js';
import { NotificationIngest } from '../../src/ingest/notification-ingest.js';
import type { KafkaNotificationSource } from '../../src/ingest/kafka/kafka-notification.source.js';
import {
  connectProducer,
  createTopics,
  kafkaBrokers,
  notificationMessage,
  openStream,
  readTopic,
  startKafkaGateway,
  unique,
  until,
} from './kafka-support.js';

// A project-level testTimeout is ignored by Jest 30; real broker round trips need more than 5 s.
jest.setTimeout(60_000);

describe('Kafka ingest', () => {
  const brokers = kafkaBrokers();
  const topic = unique('notifications');
  let gw: TestGateway;
  let source: KafkaNotificationSource;
  let producer: Producer;

  beforeAll(async () => {
    await createTopics(brokers, [
      { topic, partitions: 2 },
      { topic: `${topic}.dlq`, partitions: 1 },
    ]);
    ({ gw, source } = await startKafkaGateway(brokers, topic, { KAFKA_MESSAGE_MAX_BYTES: '2048' }));
    producer = await connectProducer(brokers);
  });
  afterAll(async () => {
    await producer?.disconnect();
    await gw?.close();
  });

  it('is running and ready once the gateway has started', async () => {
    expect(source.state).toBe('running');
    expect(source.stats.rebalances).toBeGreaterThanOrEqual(1);
    const res = await fetch(`${gw.url}/health/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      info: { kafka: { status: 'up', detail: '2 partitions assigned' } },
    });
  });

  it('delivers a produced notification to the user’s SSE stream with its id', async () => {
    const sse = await openStream(gw, 'alice');
    await producer.send({ topic, messages: [notificationMessage('alice', { text: 'hi' })] });
    const [ev] = await sse.waitForEvents(1, 20_000);
    expect(ev.event).toBe('notification');
    const data = JSON.parse(ev.data);
    expect(data).toMatchObject({
      channel: 'chat',
      type: 'message.created',
      payload: { text: 'hi' },
    });
    expect(ev.id).toBe(data.id);
    expect(ev.id).toMatch(/^[a-z0-9]+-[a-z0-9]+$/);
    sse.close();
  });

  it("measures a record's age on arrival from its timestamp", async () => {
    const aged = async (le: string) => {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('gateway_kafka_record_age_seconds_bucket{') &&
            l.includes(`le="${le}"`) &&
            l.includes(`topic="${topic}"`),
        );
      if (!line) throw new Error(`no record-age bucket le=${le} for ${topic}`);
      return Number(line.split(' ').at(-1));
    };
    const sse = await openStream(gw, 'erin');
    const [within60, within300] = [await aged('60'), await aged('300')];
    await producer.send({
      topic,
      messages: [
        { ...notificationMessage('erin', { late: true }), timestamp: String(Date.now() - 120_000) },
      ],
    });
    await sse.waitForEvents(1, 20_000);
    // Produced "two minutes ago": past the 60 s bound, within the 300 s one.
    expect((await aged('60')) - within60).toBe(0);
    expect((await aged('300')) - within300).toBe(1);
    sse.close();
  });

  it('drops a re-sent message by its id field or its idempotency-key header', async () => {
    const sse = await openStream(gw, 'bob');
    const byId = notificationMessage('bob', { n: 1 }, { id: 'order-42' });
    const byHeader = notificationMessage('bob', { n: 2 }, {}, { 'idempotency-key': 'invoice-7' });
    await producer.send({ topic, messages: [byId, byHeader] });
    await producer.send({
      topic,
      messages: [byId, byHeader, notificationMessage('bob', { n: 3 })],
    });
    const events = await sse.waitForEvents(3, 20_000);
    expect(events.map((e) => JSON.parse(e.data).payload.n)).toEqual([1, 2, 3]);
    await until('the re-sent pair to be consumed', () => source.stats.duplicates >= 2);
    expect(sse.events).toHaveLength(3);
    sse.close();
  });

  it('sends each poison message to the dead-letter topic with its reason and delivers every good one', async () => {
    const sse = await openStream(gw, 'carol');
    const good = (n: number) => notificationMessage('carol', { n });
    const poison = [
      { key: 'carol', value: '{"userId":"carol",', reason: 'not_json' },
      { key: 'carol', value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), reason: 'not_json' },
      { key: 'carol', value: JSON.stringify({ userId: 'carol' }), reason: 'invalid' },
      {
        key: 'carol',
        value: JSON.stringify({ userId: 'carol', type: 't', payload: 'x'.repeat(3000) }),
        reason: 'too_large',
      },
      {
        key: 'carol',
        value: JSON.stringify({ userId: 'carol', type: 't', bogus: 1 }),
        reason: 'invalid',
      },
    ];
    const before = { ...source.stats.deadLettered };
    const messages = [
      good(0),
      poison[0],
      good(1),
      poison[1],
      poison[2],
      good(2),
      poison[3],
      good(3),
      poison[4],
      good(4),
    ];
    // All keyed 'carol': one partition, so the offsets below are consecutive.
    const [meta] = await producer.send({ topic, messages });
    const base = Number(meta.baseOffset);

    const events = await sse.waitForEvents(5, 20_000);
    expect(events.map((e) => JSON.parse(e.data).payload.n)).toEqual([0, 1, 2, 3, 4]);

    const dead = await readTopic(brokers, `${topic}.dlq`, poison.length);
    const header = (m: (typeof dead)[number], name: string) => m.headers?.[name]?.toString();
    expect(dead.map((m) => header(m, 'dlq-reason'))).toEqual(poison.map((p) => p.reason));
    const poisonOffsets = messages
      .map((m, i) => (poison.includes(m as (typeof poison)[number]) ? String(base + i) : null))
      .filter((o) => o !== null);
    expect(dead.map((m) => header(m, 'dlq-original-offset'))).toEqual(poisonOffsets);
    for (const [i, m] of dead.entries()) {
      expect(header(m, 'dlq-original-topic')).toBe(topic);
      expect(header(m, 'dlq-original-partition')).toBe(String(meta.partition));
      expect(header(m, 'dlq-error')).toBeTruthy();
      expect(m.key?.toString()).toBe('carol');
      expect(m.value).toEqual(Buffer.from(poison[i].value));
    }
    expect(header(dead[2], 'dlq-error')).toMatch(/type/);
    expect(header(dead[3], 'dlq-error')).toMatch(/at most 2048/);
    expect(source.stats.deadLettered.not_json - before.not_json).toBe(2);
    expect(source.stats.deadLettered.invalid - before.invalid).toBe(2);
    expect(source.stats.deadLettered.too_large - before.too_large).toBe(1);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain(`gateway_kafka_messages_dead_lettered_total{topic="${topic}"} 5`);
    sse.close();
  });

  it('pauses and retries while the store fails, then delivers everything once', async () => {
    const ingest = gw.app.get(NotificationIngest);
    const accept = ingest.accept.bind(ingest);
    let failures = 3;
    ingest.accept = (inputs) =>
      failures-- > 0 ? Promise.reject(new Error('store unavailable')) : accept(inputs);
    try {
      const sse = await openStream(gw, 'dave');
      const retries = source.stats.retries;
      await producer.send({
        topic,
        messages: Array.from({ length: 20 }, (_, n) => notificationMessage('dave', { n })),
      });
      const events = await sse.waitForEvents(20, 30_000);
      expect(events.map((e) => JSON.parse(e.data).payload.n)).toEqual(
        Array.from({ length: 20 }, (_, n) => n),
      );
      expect(source.stats.retries - retries).toBe(3);
      expect(source.stats.pausedPartitions).toBe(0);
      expect(source.state).toBe('running');
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics).toContain(
        `gateway_kafka_messages_consumed_total{topic="${topic}"} ${source.stats.consumed}`,
      );
      expect(metrics).toContain(
        `gateway_notifications_ingested_total{source="kafka"} ${source.stats.accepted}`,
      );
      sse.close();
    } finally {
      ingest.accept = accept;
    }
  });
});
