import {
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG } from '../../app.tokens.js';
import type { AppConfig } from '../../config/app-config.js';
import { NotificationCodec } from '../../notifications/notification.codec.js';
import { NotificationIngest } from '../notification-ingest.js';
import { KafkaNotificationSource, type KafkaSourceOptions } from './kafka-notification.source.js';

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
    retryInitialMs: c.KAFKA_RETRY_INITIAL_MS,
    retryMaxMs: c.KAFKA_RETRY_MAX_MS,
    verbose: c.LOG_LEVEL === 'debug' || c.LOG_LEVEL === 'verbose',
  };
}

/** Imported only when KAFKA_BROKERS is set. The consumer stops before the store closes. */
@Module({
  providers: [
    {
      provide: KafkaNotificationSource,
      inject: [APP_CONFIG, NotificationIngest, NotificationCodec],
      useFactory: (c: AppConfig, ingest: NotificationIngest, codec: NotificationCodec) =>
        new KafkaNotificationSource(kafkaSourceOptions(c), ingest, codec, new Logger('Kafka')),
    },
  ],
  exports: [KafkaNotificationSource],
})
export class KafkaIngestModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(private readonly source: KafkaNotificationSource) {}

  onApplicationBootstrap(): Promise<void> {
    return this.source.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.source.stop();
  }
}
