import type { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/app-config.js';
import {
  LocalConnectionLimiter,
  type ConnectionLimiter,
} from '../connections/connection-limiter.js';
import { RedisConnectionLimiter } from '../connections/redis-connection-limiter.js';
import type { HistoryStore, NotificationFeed } from '../history/history-store.js';
import { MemoryFeed } from '../history/memory-feed.js';
import { MemoryHistoryStore } from '../history/memory-history.store.js';
import { RedisFeed } from '../history/redis-feed.js';
import { RedisHistoryStore } from '../history/redis-history.store.js';
import { RedisConnections, type RedisLog } from '../redis/redis-connections.js';

/**
 * Where the store, feed and limiter live: in this process (no REDIS_URL, a single replica) or in
 * Redis (any number of replicas). Everything above them is the same in both modes.
 */
export interface HubBackend {
  readonly store: HistoryStore;
  readonly feed: NotificationFeed;
  readonly limiter: ConnectionLimiter;
  /** For readiness: false while Redis is unreachable (always true in memory mode). */
  readonly redisHealthy: boolean;
  close(): Promise<void>;
}

export function createMemoryBackend(c: AppConfig, clock: Clock): HubBackend {
  const feed = new MemoryFeed();
  const store = new MemoryHistoryStore(
    {
      maxPerUser: c.HISTORY_MAX_PER_USER,
      ttlSeconds: c.HISTORY_TTL_SECONDS,
      maxUsers: c.HISTORY_MAX_USERS,
      dedupeTtlSeconds: c.DEDUPE_TTL_SECONDS,
      dedupeMaxKeys: c.DEDUPE_MAX_KEYS,
      dedupeLogWindow: c.DEDUPE_LOG_WINDOW,
    },
    feed,
    clock,
  );
  return {
    store,
    feed,
    limiter: new LocalConnectionLimiter({
      perUser: c.MAX_CONNECTIONS_PER_USER,
      perProcess: c.MAX_CONNECTIONS,
    }),
    redisHealthy: true,
    close: () => store.close(),
  };
}

export async function createRedisBackend(
  c: AppConfig,
  url: string,
  logger: RedisLog,
): Promise<HubBackend> {
  const logError = (err: unknown) => logger.warn(String((err as Error)?.message ?? err));
  const redis = new RedisConnections(url, logger);
  await redis.connect();
  const store = new RedisHistoryStore(redis.command, c.REDIS_KEY_PREFIX, {
    maxPerUser: c.HISTORY_MAX_PER_USER,
    ttlSeconds: c.HISTORY_TTL_SECONDS,
    dedupeTtlSeconds: c.DEDUPE_TTL_SECONDS,
    dedupeLogWindow: c.DEDUPE_LOG_WINDOW,
  });
  const feed = new RedisFeed(
    redis.subscriber,
    c.REDIS_KEY_PREFIX,
    (users, after) => store.since(users, after),
    logError,
  );
  await feed.start();
  const limiter = new RedisConnectionLimiter(
    redis.command,
    { perUser: c.MAX_CONNECTIONS_PER_USER, perProcess: c.MAX_CONNECTIONS },
    { prefix: c.REDIS_KEY_PREFIX, leaseTtlMs: c.CONNECTION_LEASE_TTL_SECONDS * 1000 },
    logError,
  );
  return {
    store,
    feed,
    limiter,
    get redisHealthy() {
      return redis.healthy;
    },
    async close() {
      limiter.close();
      feed.complete();
      await store.close();
      await redis.close();
    },
  };
}
