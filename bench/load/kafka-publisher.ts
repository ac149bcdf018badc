import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { Producer } from 'kafkajs';
import { nowMs } from '../histogram.js';
import { closedLoop, paced, type PublishRun } from './publisher.js';

const { Kafka, logLevel, Partitioners } = kafkajs;

const TEXT = 'the quick brown fox jumps over the lazy dog';

/** The bench's own Kafka client: quiet, so its logs never mix with the report. */
const benchKafka = (brokers: string, clientId: string) =>
  new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });

/** Publishes notifications to a topic as a producer would: JSON value, keyed by the user id. */
export class KafkaPublisher {
  private constructor(
    private readonly producer: Producer,
    readonly topic: string,
  ) {}

  /** A fresh topic (so each run reads only its own records) and a connected producer. */
  static async create(brokers: string, partitions: number): Promise<KafkaPublisher> {
    const kafka = benchKafka(brokers, 'bench');
    const topic = `bench-${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
    await admin.disconnect();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    return new KafkaPublisher(producer, topic);
  }

  /** Sends `size` notifications round-robin over `users`; resolves with how many were acked. */
  async send(users: readonly string[], from: number, size: number): Promise<number> {
    const t = nowMs();
    const messages = new Array<{ key: string; value: string }>(size);
    for (let k = 0; k < size; k++) {
      const userId = users[(from + k) % users.length];
      messages[k] = {
        key: userId,
        value: `{"userId":"${userId}","channel":"bench","type":"bench.tick","payload":{"t":${t},"text":"${TEXT}"}}`,
      };
    }
    await this.producer.send({ topic: this.topic, acks: 1, messages });
    return size;
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** Closed loop as fast as the broker acks. */
export const produceClosedLoop = (
  pub: KafkaPublisher,
  users: readonly string[],
  batch: number,
  lanes: number,
  durationMs: number,
): Promise<PublishRun> =>
  closedLoop((from) => pub.send(users, from, batch), batch, lanes, durationMs);

/** Paced, producing to Kafka. */
export const producePaced = (
  pub: KafkaPublisher,
  users: readonly string[],
  ratePerSecond: number,
  batch: number,
  durationMs: number,
): Promise<PublishRun> =>
  paced((k) => pub.send(users, k * batch, batch), ratePerSecond, batch, durationMs);

/**
 * Puts a broker through what the Kafka rows ask of it, producing and fetching, before the first
 * of them: `seconds` at `rate` records/s in batches of 10, then 5 s as fast as it acks, to a topic
 * of its own read by a consumer of its own. A freshly started broker is slow under its first load
 * (a JVM warming up), and the first rounds measured that: S3's p99 263 ms, with 19 % of the
 * records already over 10 ms old when the gateway was handed them (bench/RESULTS.md, ninth session).
 */
export async function warmBroker(brokers: string, seconds: number, rate: number): Promise<void> {
  const pub = await KafkaPublisher.create(brokers, 4);
  const consumer = benchKafka(brokers, 'bench-warmup').consumer({ groupId: `${pub.topic}-warmup` });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [pub.topic], fromBeginning: true });
    await consumer.run({ eachBatch: async () => {} });
    const users = Array.from({ length: 1000 }, (_, i) => `warmup-${i}`);
    await producePaced(pub, users, rate, 10, seconds * 1000);
    await produceClosedLoop(pub, users, 500, 4, 5000);
  } finally {
    await consumer.disconnect();
    await pub.close();
  }
}
