import {
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG } from '../../app.tokens.js';
import type { AppConfig } from '../../config/app-config.js';
import { ReadinessChecks } from '../../health/readiness-checks.js';
import { Metrics } from '../../metrics/metrics.service.js';
import { NotificationCodec } from '../../notifications/notification.codec.js';
import { NotificationIngest } from '../notification-ingest.js';
import {
  KafkaNotificationSource,
  type KafkaSourceObserver,
  type KafkaSourceOptions,
} from './kafka-notification.source.js';
import { DrainCoordinator } from '../../lifecycle/drain-coordinator.js';

export function kafkaSourceOptions(c: AppConfig): KafkaSourceOptions {
  return {
    brokers: c.KAFKA_BROKERS ?? [],
    topics: c.KAFKA_TOPICS,
    groupId: c.KAFKA_GROUP_ID,
    clientId: c.KAFKA_CLIENT_ID,
    dlqSuffix: c.KAFKA_DLQ_SUFFIX,
    fromBeginning: c.KAFKA_FROM_BEGINNING,
    messageMaxBytes: c.KAFKA_MESSAGE_MAX_BYTES,
    ssl: c.KAFKA_SSL,
    ...(c.KAFKA_SASL_MECHANISM && {
      sasl: {
        mechanism: c.KAFKA_SASL_MECHANISM,
        username: c.KAFKA_SASL_USERNAME!,
        password: c.KAFKA_SASL_PASSWORD!,
      },
    }),
    sessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
    retryInitialMs: c.KAFKA_RETRY_INITIAL_MS,
    retryMaxMs: c.KAFKA_RETRY_MAX_MS,
    verbose: c.LOG_LEVEL === 'debug' || c.LOG_LEVEL === 'verbose',
  };
}

function metricsObserver(m: Metrics, topics: readonly string[]): KafkaSourceObserver {
  return {
    recordAge: m.kafkaRecordAges(topics),
    consumed: (topic, count) => m.kafkaConsumed(topic, count),
    deadLettered: (topic, count) => m.kafkaDeadLettered(topic, count),
    accepted: (count) => m.ingested('kafka', count),
    rebalanced: () => m.kafkaRebalanced(),
    lag: (topic, partition, lag) => m.kafkaLag(topic, partition, lag),
  };
}

/** Imported only when KAFKA_BROKERS is set. The consumer stops before the store closes. */
@Module({
  providers: [
    {
      provide: KafkaNotificationSource,
      inject: [APP_CONFIG, NotificationIngest, NotificationCodec, Metrics],
      useFactory: (
        c: AppConfig,
        ingest: NotificationIngest,
        codec: NotificationCodec,
        m: Metrics,
      ) =>
        new KafkaNotificationSource(
          kafkaSourceOptions(c),
          ingest,
          codec,
          new Logger('Kafka'),
          metricsObserver(m, c.KAFKA_TOPICS),
        ),
    },
  ],
  exports: [KafkaNotificationSource],
})
export class KafkaIngestModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private unregister?: () => void;

  constructor(
    private readonly source: KafkaNotificationSource,
    private readonly readiness: ReadinessChecks,
    drain: DrainCoordinator,
  ) {
    // Draining stops consuming first, committing what was processed; the partitions move to
    // the replicas that stay.
    drain.onDrain(() => source.stop());
  }

  onApplicationBootstrap(): Promise<void> {
    const { source } = this;
    // Ready only while consuming: a crashed or restarting consumer takes the replica out.
    this.unregister = this.readiness.register({
      name: 'kafka',
      check: () => ({
        ok: source.state === 'running',
        detail:
          source.state === 'running'
            ? `${source.stats.assignedPartitions} partitions assigned`
            : `consumer ${source.state}`,
      }),
    });
    return source.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unregister?.();
    await this.source.stop();
  }
}
