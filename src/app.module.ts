import { Module, type DynamicModule } from '@nestjs/common';
import { APP_CONFIG } from './app.tokens.js';
import { AuthModule } from './auth/auth.module.js';
import { ClientAssetsModule } from './client-assets/client-assets.module.js';
import type { AppConfig } from './config/app-config.js';
import { LongPollModule } from './delivery/longpoll/long-poll.module.js';
import { SseModule } from './delivery/sse/sse.module.js';
import { DevModule } from './dev/dev.module.js';
import { HealthModule } from './health/health.module.js';
import { WsModule } from './delivery/ws/ws.module.js';
import { HubModule } from './hub/hub.module.js';
import { KafkaIngestModule } from './ingest/kafka/kafka-ingest.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { PublishModule } from './publish/publish.module.js';

@Module({})
export class AppModule {
  /** The configuration is read once, before Nest starts, and handed in whole. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
      imports: [
        LifecycleModule,
        AuthModule,
        HubModule,
        MetricsModule,
        HealthModule,
        SseModule,
        WsModule,
        LongPollModule,
        ...(config.HTTP_PUBLISH_ENABLED ? [PublishModule] : []),
        ...(config.KAFKA_BROKERS ? [KafkaIngestModule] : []),
        ClientAssetsModule,
        // The demo page and token minting exist only with the dev profile's throwaway secret.
        ...(config.devAuth ? [DevModule] : []),
      ],
    };
  }
}
