import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { openSse, type SseConnection } from '../support/sse-client.js';
import { KafkaNotificationSource } from '../../src/ingest/kafka/kafka-notification.source.js';
import { until as untilWithin } from '../support/wait.js';

const { Kafka, logLevel, Partitioners } = kafkajs;

/** The broker of this run (global setup), or a loud failure: Kafka tests never skip. */
export function kafkaBrokers(): string {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    throw new Error(
      'KAFKA_BROKERS is not set: run the Kafka tests through Jest (its global setup starts a broker) or set KAFKA_BROKERS',
    );
  }
  return brokers;
}

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export function kafkaClient(brokers: string) {
  return new Kafka({
    clientId: 'test-client',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 100, retries: 10 },
  });
}

export async function createTopics(
  brokers: string,
  topics: { topic: string; partitions: number }[],
): Promise<void> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map(({ topic, partitions }) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

export async function connectProducer(brokers: string): Promise<Producer> {
  const producer = kafkaClient(brokers).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}

/** A notification as a publisher writes it: JSON value, keyed by the user id. */
export function notificationMessage(
  userId: string,
  payload: unknown,
  extra: Record<string, unknown> = {},
  headers?: IHeaders,
) {
  return {
    key: userId,
    value: JSON.stringify({ userId, channel: 'chat', type: 'message.created', payload, ...extra }),
    ...(headers && { headers }),
  };
}

/** The gateway with its Kafka source on `topic`, reading it from the start. */
export async function startKafkaGateway(
  brokers: string,
  topic: string,
  env: Record<string, string> = {},
): Promise<{ gw: TestGateway; source: KafkaNotificationSource }> {
  const gw = await startGateway({
    KAFKA_BROKERS: brokers,
    KAFKA_TOPICS: topic,
    KAFKA_GROUP_ID: unique('group'),
    KAFKA_FROM_BEGINNING: 'true',
    KAFKA_RETRY_INITIAL_MS: '100',
    KAFKA_RETRY_MAX_MS: '1000',
    ...env,
  });
  return { gw, source: gw.app.get(KafkaNotificationSource) };
}

export async function openStream(gw: TestGateway, user: string): Promise<SseConnection> {
  const sse = await openSse(`${gw.url}/v1/notifications/stream`, {
    authorization: `Bearer ${await gw.token(user)}`,
  });
  if (sse.status !== 200) throw new Error(`stream for ${user} answered ${sse.status}`);
  return sse;
}

/** Reads `count` records of `topic` from the start with a throwaway group. */
export async function readTopic(
  brokers: string,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<KafkaMessage[]> {
  const consumer = kafkaClient(brokers).consumer({ groupId: unique('reader') });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`read ${got.length} of ${count} records of ${topic}`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message);
          if (got.length >= count) {
            clearTimeout(timer);
            done();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** Polls state that has no event (consumer counters); Kafka needs a longer default deadline. */
export const until = (what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> =>
  untilWithin(what, ok, timeoutMs);
