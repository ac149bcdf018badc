import {
  Global,
  Inject,
  Logger,
  Module,
  type OnModuleInit,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import {
  APP_CONFIG,
  CLOCK,
  CONNECTION_LIMITER,
  HISTORY_STORE,
  HUB_BACKEND,
  NOTIFICATION_FEED,
} from '../app.tokens.js';
import { systemClock, type Clock } from '../common/clock.js';
import { ReadinessChecks } from '../health/readiness-checks.js';
import type { HistoryStore, NotificationFeed } from '../history/history-store.js';
import { NotificationIngest } from '../ingest/notification-ingest.js';
import { NotificationCodec } from '../notifications/notification.codec.js';
import { createMemoryBackend, createRedisBackend, type HubBackend } from './hub-backend.js';
import { NotificationHub } from './notification-hub.js';
import { NotificationStreams } from './notification-streams.js';

/** Wires the plain-TypeScript core (store, feed, hub, streams, limiter, ingest) into Nest. */
@Global()
@Module({
  providers: [
    { provide: CLOCK, useValue: systemClock },
    {
      provide: HUB_BACKEND,
      inject: [APP_CONFIG, CLOCK],
      useFactory: (c: AppConfig, clock: Clock) =>
        c.REDIS_URL
          ? createRedisBackend(c, c.REDIS_URL, new Logger('Redis'))
          : createMemoryBackend(c, clock),
    },
    { provide: NOTIFICATION_FEED, inject: [HUB_BACKEND], useFactory: (b: HubBackend) => b.feed },
    { provide: HISTORY_STORE, inject: [HUB_BACKEND], useFactory: (b: HubBackend) => b.store },
    {
      provide: CONNECTION_LIMITER,
      inject: [HUB_BACKEND],
      useFactory: (b: HubBackend) => b.limiter,
    },
    {
      provide: NotificationHub,
      inject: [NOTIFICATION_FEED],
      useFactory: (feed: NotificationFeed) => new NotificationHub(feed),
    },
    {
      provide: NotificationStreams,
      inject: [NotificationHub, HISTORY_STORE, CLOCK],
      useFactory: (hub: NotificationHub, store: HistoryStore, clock: Clock) =>
        new NotificationStreams(hub, store, clock),
    },
    {
      provide: NotificationCodec,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) =>
        new NotificationCodec({
          payloadMaxBytes: c.PAYLOAD_MAX_BYTES,
          maxRecipients: c.MAX_RECIPIENTS,
        }),
    },
    {
      provide: NotificationIngest,
      inject: [NotificationCodec, HISTORY_STORE],
      useFactory: (codec: NotificationCodec, store: HistoryStore) =>
        new NotificationIngest(codec, store),
    },
  ],
  exports: [
    HUB_BACKEND,
    CLOCK,
    NOTIFICATION_FEED,
    HISTORY_STORE,
    NotificationHub,
    NotificationStreams,
    CONNECTION_LIMITER,
    NotificationCodec,
    NotificationIngest,
  ],
})
export class HubModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(HUB_BACKEND) private readonly backend: HubBackend,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly readiness: ReadinessChecks,
  ) {}

  onModuleInit(): void {
    if (!this.config.REDIS_URL) return;
    const { backend } = this;
    this.readiness.register({
      name: 'redis',
      check: () => (backend.redisHealthy ? { ok: true } : { ok: false, detail: 'unreachable' }),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
  }
}
