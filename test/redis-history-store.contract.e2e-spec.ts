import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { firstValueFrom, take, toArray } from 'rxjs';
import { systemClock } from '../src/common/clock.js';
import { parseEventId, type Cursor } from '../src/cursor/event-id.js';
import type { HistoryStore, NotificationFeed } from '../src/history/history-store.js';
import { MemoryFeed } from '../src/history/memory-feed.js';
import { MemoryHistoryStore } from '../src/history/memory-history.store.js';
import { RedisFeed } from '../src/history/redis-feed.js';
import { RedisHistoryStore } from '../src/history/redis-history.store.js';
import type { NotificationInput } from '../src/notifications/notification.js';
import { startRedis, type TestRedis } from './support/redis-server.js';

/** One contract, two stores: what MemoryHistoryStore does, RedisHistoryStore does on real Redis. */
interface Subject {
  store: HistoryStore;
  feed: NotificationFeed;
}

const MAX_PER_USER = 5;
const ALL = { channels: null, limit: 100 };
const cursor = (id: string): Cursor => parseEventId(id)!;
const input = (over: Partial<NotificationInput> = {}): NotificationInput => ({
  userIds: ['u1'],
  channel: 'chat',
  type: 't',
  payloadJson: '{"a":1}',
  ...over,
});

let redis: TestRedis;
const clients: Redis[] = [];
let prefixN = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  clients.forEach((c) => c.disconnect());
  await redis.close();
});

const makers: [string, () => Promise<Subject>][] = [
  [
    'memory',
    async () => {
      const feed = new MemoryFeed();
      const limits = {
        maxPerUser: MAX_PER_USER,
        ttlSeconds: 3600,
        maxUsers: 1000,
        dedupeTtlSeconds: 3600,
        dedupeMaxKeys: 1000,
        dedupeLogWindow: 1000,
      };
      return { store: new MemoryHistoryStore(limits, feed, systemClock), feed };
    },
  ],
  [
    'redis',
    async () => {
      const command = new Redis(redis.url);
      const subscriber = new Redis(redis.url);
      clients.push(command, subscriber);
      const prefix = `c${++prefixN}:`;
      const store = new RedisHistoryStore(command, prefix, {
        maxPerUser: MAX_PER_USER,
        ttlSeconds: 3600,
        dedupeTtlSeconds: 3600,
        dedupeLogWindow: 1000,
      });
      await new Promise((r) => subscriber.once('ready', r));
      const feed = new RedisFeed(
        subscriber,
        prefix,
        (u, a) => store.since(u, a),
        () => undefined,
      );
      await feed.start();
      return { store, feed };
    },
  ],
];

describe.each(makers)('HistoryStore contract: %s', (_name, make) => {
  it('numbers a batch in order, dedupes by producer id, and replays after a cursor', async () => {
    const { store } = await make();
    const head = await store.head();
    const res = await store.append([
      input({ dedupeKey: 'k1' }),
      input({ dedupeKey: 'k1' }),
      input({ userIds: ['u2'] }),
      input({ userIds: null, channel: 'news' }),
    ]);
    expect(res.map((r) => r.duplicate)).toEqual([false, true, false, false]);
    expect(res[1].id).toBe(res[0].id);
    const again = await store.append([input({ dedupeKey: 'k1' })]);
    expect(again[0]).toMatchObject({ duplicate: true });
    expect(again[0].id).toBe(res[0].id);
    const read = await store.read('u1', cursor(head), ALL);
    expect(read.kind === 'events' && read.events.map((n) => n.id)).toEqual([res[0].id, res[3].id]);
    const news = await store.read('u1', cursor(head), { channels: new Set(['news']), limit: 5 });
    expect(news.kind === 'events' && news.events.map((n) => n.channel)).toEqual(['news']);
    expect(await store.head()).toBe(res[3].id);
  });

  it('drops a redelivered log record by its offset, per log, and takes a restarted log as new', async () => {
    const { store } = await make();
    const at = (log: string, offset: number) => input({ logPosition: { log, offset } });
    const first = await store.append([at('t:0', 5000), at('t:0', 5001), at('t:1', 5001)]);
    expect(first.map((r) => r.duplicate)).toEqual([false, false, false]);
    // A consumer re-reading from its last commit; then the next records.
    const again = await store.append([at('t:0', 5000), at('t:0', 5001), at('t:0', 5002)]);
    expect(again.map((r) => r.duplicate)).toEqual([true, true, false]);
    expect(again[1].id).toBe(first[1].id);
    // More than the window (1 000) below the mark: the topic was re-created, offsets from 0.
    const restarted = await store.append([at('t:0', 0), at('t:0', 1), at('t:0', 1)]);
    expect(restarted.map((r) => r.duplicate)).toEqual([false, false, true]);
    const stored = [...first, ...again, ...restarted].filter((r) => !r.duplicate).map((r) => r.id);
    const read = await store.read('u1', null, ALL);
    expect(read.kind === 'events' && read.events.map((n) => n.id)).toEqual(
      stored.slice(-MAX_PER_USER),
    );
  });

  it('pages with hasMore and resets a cursor older than what is retained', async () => {
    const { store } = await make();
    const head = await store.head();
    const res = await store.append(Array.from({ length: MAX_PER_USER + 2 }, () => input()));
    const ids = res.map((r) => r.id);
    expect(await store.read('u1', cursor(head), ALL)).toEqual({ kind: 'reset', head: ids.at(-1) });
    const page = await store.read('u1', cursor(ids[1]), { channels: null, limit: 3 });
    expect(page.kind === 'events' && page.events.map((n) => n.id)).toEqual(ids.slice(2, 5));
    expect(page.kind === 'events' && page.hasMore).toBe(true);
  });

  it('lists from the oldest retained without a cursor, never a reset', async () => {
    const { store } = await make();
    const res = await store.append(Array.from({ length: MAX_PER_USER + 2 }, () => input()));
    const ids = res.map((r) => r.id);
    const page = await store.read('u1', null, ALL);
    expect(page.kind === 'events' && page.events.map((n) => n.id)).toEqual(ids.slice(2));
  });

  it('resets a cursor from another epoch or ahead of the sequence', async () => {
    const { store } = await make();
    const head = cursor(await store.head());
    expect((await store.read('u1', { epoch: 'zzzz', seq: 0 }, ALL)).kind).toBe('reset');
    expect((await store.read('u1', { ...head, seq: head.seq + 5 }, ALL)).kind).toBe('reset');
  });

  it('gives a notification with a TTL its expiry, one without none', async () => {
    const { store } = await make();
    const head = await store.head();
    await store.append([input(), input({ ttlSeconds: 60 })]);
    const read = await store.read('u1', cursor(head), ALL);
    const [plain, ttl] = read.kind === 'events' ? read.events : [];
    expect(plain.expiresAt).toBe(0);
    expect(ttl.expiresAt).toBe(ttl.createdAt + 60_000);
  });

  it('feeds every append in id order once the user is watched', async () => {
    const { store, feed } = await make();
    await feed.watch('u1');
    const got = firstValueFrom(feed.notifications$.pipe(take(3), toArray()));
    const res = await store.append([input(), input({ userIds: null }), input()]);
    expect((await got).map((n) => n.id)).toEqual(res.map((r) => r.id));
  });
});
