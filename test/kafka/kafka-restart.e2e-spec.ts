import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Producer } from 'kafkajs';
import type { TestGateway } from '../support/gateway.js';
import type { SseConnection } from '../support/sse-client.js';
import { startKafkaBroker, type KafkaBroker } from '../../scripts/kafka/broker.js';
import type { KafkaNotificationSource } from '../../src/ingest/kafka/kafka-notification.source.js';
import {
  connectProducer,
  createTopics,
  kafkaBrokers,
  kafkaClient,
  notificationMessage,
  openStream,
  startKafkaGateway,
  unique,
  until,
} from './kafka-support.js';

jest.setTimeout(120_000);

/** `perUser` notifications for each user, interleaved, numbered per user from 0. */
function workload(users: string[], perUser: number, withIds: boolean) {
  const messages = [];
  for (let n = 0; n < perUser; n++) {
    for (const u of users) {
      messages.push(notificationMessage(u, { user: u, n }, withIds ? { id: `${u}-${n}` } : {}));
    }
  }
  return messages;
}

async function send(producer: Producer, topic: string, messages: { key: string; value: string }[]) {
  for (let i = 0; i < messages.length; i += 500) {
    await producer.send({ topic, messages: messages.slice(i, i + 500) });
  }
}

/** Every user got exactly 0..perUser-1, in order, each under its own event id. */
async function expectExactlyOnce(streams: Map<string, SseConnection>, perUser: number) {
  const expected = Array.from({ length: perUser }, (_, n) => n);
  const ids = new Set<string>();
  for (const [user, sse] of streams) {
    await sse.waitForEvents(perUser, 60_000);
    const data = sse.events.map((e) => JSON.parse(e.data));
    expect(data.every((d) => d.payload.user === user)).toBe(true);
    expect(data.map((d) => d.payload.n)).toEqual(expected);
    for (const e of sse.events) ids.add(e.id!);
  }
  expect(ids.size).toBe(streams.size * perUser);
}

describe('Kafka consumer stopped and restarted mid-stream', () => {
  const brokers = kafkaBrokers();
  const topic = unique('restart');
  const users = Array.from({ length: 20 }, (_, i) => `r-${i}`);
  const perUser = 150;
  let gw: TestGateway;
  let source: KafkaNotificationSource;
  let producer: Producer;
  const streams = new Map<string, SseConnection>();

  beforeAll(async () => {
    await createTopics(brokers, [{ topic, partitions: 2 }]);
    ({ gw, source } = await startKafkaGateway(brokers, topic));
    producer = await connectProducer(brokers);
    for (const u of users) streams.set(u, await openStream(gw, u));
  });
  afterAll(async () => {
    for (const s of streams.values()) s.close();
    await producer?.disconnect();
    await gw?.close();
  });

  it('commits what it processed, and a redelivery from offset 0 reaches no client twice', async () => {
    const messages = workload(users, perUser, false);
    const half = messages.length / 2;
    await send(producer, topic, messages.slice(0, half));
    await until('part of the stream to be consumed', () => source.stats.consumed >= 500);

    await source.stop();
    expect(source.state).toBe('stopped');
    const accepted = source.stats.accepted;
    const admin = kafkaClient(brokers).admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({
        groupId: gw.config.KAFKA_GROUP_ID,
        topics: [topic],
      });
      const total = committed.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      expect(total).toBe(source.stats.consumed);
      // As if those commits had been lost: everything is delivered to the consumer again.
      await admin.setOffsets({
        groupId: gw.config.KAFKA_GROUP_ID,
        topic,
        partitions: [0, 1].map((partition) => ({ partition, offset: '0' })),
      });
    } finally {
      await admin.disconnect();
    }
    await send(producer, topic, messages.slice(half));
    const duplicates = source.stats.duplicates;

    await source.start();
    await expectExactlyOnce(streams, perUser);
    expect(source.stats.duplicates - duplicates).toBe(accepted);
    expect(source.state).toBe('running');
  });
});

describe('Kafka broker killed and restarted mid-stream', () => {
  const topic = unique('broker-restart');
  const users = Array.from({ length: 10 }, (_, i) => `b-${i}`);
  const perUser = 200;
  let broker: KafkaBroker;
  let gw: TestGateway;
  let source: KafkaNotificationSource;
  let producer: Producer;
  const streams = new Map<string, SseConnection>();

  beforeAll(async () => {
    // Its own broker: the shared one must stay up for the other files.
    broker = await startKafkaBroker();
    await createTopics(broker.brokers, [{ topic, partitions: 2 }]);
    // The crashed consumer's member stays in the group until its session times out: keep it short.
    ({ gw, source } = await startKafkaGateway(broker.brokers, topic, {
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    }));
    producer = await connectProducer(broker.brokers);
    for (const u of users) streams.set(u, await openStream(gw, u));
  });
  afterAll(async () => {
    for (const s of streams.values()) s.close();
    await producer?.disconnect();
    await gw?.close();
    await broker?.destroy();
  });

  it('loses nothing and delivers nothing twice', async () => {
    const messages = workload(users, perUser, true);
    const half = messages.length / 2;
    await send(producer, topic, messages.slice(0, half));
    await until('part of the stream to be consumed', () => source.stats.consumed >= 200);

    await broker.kill();
    // The consumer must not sit there half-alive: it gives up on the dead broker and restarts.
    await until('the consumer to leave the running state', () => source.state !== 'running');
    await broker.start();
    await send(producer, topic, messages.slice(half));

    await expectExactlyOnce(streams, perUser);
    expect(source.stats.restarts).toBeGreaterThanOrEqual(1);
    await until('the consumer to run again', () => source.state === 'running');
  });
});
