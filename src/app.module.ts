import { Module, type DynamicModule } from '@nestjs/common';
import { APP_CONFIG } from './app.tokens.js';
import { AuthModule } from './auth/auth.module.js';
import type { AppConfig } from './config/app-config.js';
import { SseModule } from './delivery/sse/sse.module.js';
import { HubModule } from './hub/hub.module.js';
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
        SseModule,
        ...(config.HTTP_PUBLISH_ENABLED ? [PublishModule] : []),
      ],
    };
  }
}
