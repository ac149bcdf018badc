import type { KafkaBroker } from '../../scripts/kafka/broker.js';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __kafkaBroker?: KafkaBroker };
  if (!g.__kafkaBroker) return;
  delete process.env.KAFKA_BROKERS;
  await g.__kafkaBroker.destroy();
  g.__kafkaBroker = undefined;
}
