import {
  Global,
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import {
  APP_CONFIG,
  CLOCK,
  CONNECTION_LIMITER,
  HISTORY_STORE,
  NOTIFICATION_FEED,
} from '../app.tokens.js';
import { systemClock, type Clock } from '../common/clock.js';
import {
  LocalConnectionLimiter,
  type ConnectionLimiter,
} from '../connections/connection-limiter.js';
import type { HistoryStore } from '../history/history-store.js';
import { MemoryFeed } from '../history/memory-feed.js';
import { MemoryHistoryStore } from '../history/memory-history.store.js';
import { NotificationIngest } from '../ingest/notification-ingest.js';
import { NotificationCodec } from '../notifications/notification.codec.js';
import { NotificationHub } from './notification-hub.js';
import { NotificationStreams } from './notification-streams.js';

const SHUTDOWN_FLUSH_MS = 2000;

/** Wires the plain-TypeScript core (store, feed, hub, streams, limiter, ingest) into Nest. */
@Global()
@Module({
  providers: [
    { provide: CLOCK, useValue: systemClock },
    { provide: NOTIFICATION_FEED, useFactory: () => new MemoryFeed() },
    {
      provide: HISTORY_STORE,
      inject: [APP_CONFIG, NOTIFICATION_FEED, CLOCK],
      useFactory: (c: AppConfig, feed: MemoryFeed, clock: Clock) =>
        new MemoryHistoryStore(
          {
            maxPerUser: c.HISTORY_MAX_PER_USER,
            ttlSeconds: c.HISTORY_TTL_SECONDS,
            maxUsers: c.HISTORY_MAX_USERS,
            dedupeTtlSeconds: c.DEDUPE_TTL_SECONDS,
            dedupeMaxKeys: c.DEDUPE_MAX_KEYS,
          },
          feed,
          clock,
        ),
    },
    {
      provide: NotificationHub,
      inject: [NOTIFICATION_FEED],
      useFactory: (feed: MemoryFeed) => new NotificationHub(feed),
    },
    {
      provide: NotificationStreams,
      inject: [NotificationHub, HISTORY_STORE, CLOCK],
      useFactory: (hub: NotificationHub, store: HistoryStore, clock: Clock) =>
        new NotificationStreams(hub, store, clock),
    },
    {
      provide: CONNECTION_LIMITER,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) =>
        new LocalConnectionLimiter({
          perUser: c.MAX_CONNECTIONS_PER_USER,
          perProcess: c.MAX_CONNECTIONS,
        }),
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
export class HubModule implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly hub: NotificationHub,
    @Inject(HISTORY_STORE) private readonly store: HistoryStore,
    @Inject(CONNECTION_LIMITER) private readonly limiter: ConnectionLimiter,
  ) {}

  /**
   * Nest closes the HTTP server between `beforeApplicationShutdown` and `onApplicationShutdown`,
   * and the server waits for open responses: streams must end first. Ending the hub completes
   * every stream, which ends each response and releases its slot.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.hub.close();
    // server.close() only sweeps sockets idle at the moment it is called: wait (bounded) for the
    // ended responses to finish so their keep-alive sockets are idle by then.
    const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
    while (this.limiter.total > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
