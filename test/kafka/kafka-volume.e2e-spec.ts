import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Producer } from 'kafkajs';
import type { TestGateway } from '../support/gateway.js';
import type { SseConnection } from '../support/sse-client.js';
import {
  connectProducer,
  createTopics,
  kafkaBrokers,
  notificationMessage,
  openStream,
  startKafkaGateway,
  unique,
} from './kafka-support.js';

jest.setTimeout(120_000);

const USERS = 100;
const PER_USER = 100;

describe('Kafka ingest at volume', () => {
  const brokers = kafkaBrokers();
  const topic = unique('volume');
  let gw: TestGateway;
  let producer: Producer;
  const streams = new Map<string, SseConnection>();

  beforeAll(async () => {
    await createTopics(brokers, [{ topic, partitions: 4 }]);
    ({ gw } = await startKafkaGateway(brokers, topic));
    producer = await connectProducer(brokers);
  });
  afterAll(async () => {
    for (const s of streams.values()) s.close();
    await producer?.disconnect();
    await gw?.close();
  });

  it(`delivers ${USERS * PER_USER} notifications to ${USERS} users: each exactly theirs, in order`, async () => {
    const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);
    for (const u of users) streams.set(u, await openStream(gw, u));

    // Interleaved across users, as a real topic would be; keyed by user, so per-user order holds.
    const messages = [];
    for (let n = 0; n < PER_USER; n++) {
      for (const u of users) messages.push(notificationMessage(u, { user: u, n }));
    }
    for (let i = 0; i < messages.length; i += 1000) {
      await producer.send({ topic, messages: messages.slice(i, i + 1000) });
    }

    const expected = Array.from({ length: PER_USER }, (_, n) => n);
    const ids = new Set<string>();
    for (const u of users) {
      const events = await streams.get(u)!.waitForEvents(PER_USER, 60_000);
      const data = events.map((e) => JSON.parse(e.data));
      expect(data.every((d) => d.payload.user === u)).toBe(true);
      expect(data.map((d) => d.payload.n)).toEqual(expected);
      for (const e of events) ids.add(e.id!);
    }
    expect(ids.size).toBe(USERS * PER_USER);
    // Nothing beyond their own arrives late.
    await new Promise((r) => setImmediate(r));
    for (const s of streams.values()) expect(s.events).toHaveLength(PER_USER);
  });
});
