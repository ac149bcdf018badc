import type { KafkaBroker } from '../../scripts/kafka/broker.js';

// Jest loads global setup with Node's own loader (type stripping, no path mapping), which needs
// the real file name; the type import above stays for the compiler.
const broker = new URL('../../scripts/kafka/broker.ts', import.meta.url).href;

/**
 * One broker for every Kafka test file of the run (the JVM takes seconds to start). An existing
 * one is reused when KAFKA_BROKERS is set. Tests read KAFKA_BROKERS; each uses its own topics
 * and consumer group, so they share the broker safely.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.KAFKA_BROKERS) return;
  const { startKafkaBroker } = (await import(
    broker
  )) as typeof import('../../scripts/kafka/broker.js');
  let started: KafkaBroker;
  try {
    started = await startKafkaBroker();
  } catch (err) {
    throw new Error(
      `The Kafka tests need a broker and could not start one: ${(err as Error).message}`,
      { cause: err },
    );
  }
  (globalThis as { __kafkaBroker?: KafkaBroker }).__kafkaBroker = started;
  process.env.KAFKA_BROKERS = started.brokers;
}
