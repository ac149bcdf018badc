import { beforeEach, describe, expect, it } from '@jest/globals';
import { firstValueFrom, take, toArray } from 'rxjs';
import { ManualClock } from '../common/clock.js';
import type { Cursor } from '../cursor/event-id.js';
import type { HistoryStore, ReadOptions, ReadResult } from '../history/history-store.js';
import { MemoryFeed } from '../history/memory-feed.js';
import { MemoryHistoryStore } from '../history/memory-history.store.js';
import { StoredNotification, type NotificationInput } from '../notifications/notification.js';
import { NotificationHub } from './notification-hub.js';
import { NotificationStreams, type StreamItem } from './notification-streams.js';

const input = (userIds: string[] | null, channel = 'chat'): NotificationInput => ({
  userIds,
  channel,
  type: 't',
  payloadJson: '{}',
});
const limits = {
  maxPerUser: 100,
  ttlSeconds: 3600,
  maxUsers: 100,
  dedupeTtlSeconds: 60,
  dedupeMaxKeys: 100,
  dedupeLogWindow: 1000,
};
const ids = (items: StreamItem[]) =>
  items.map((i) => (i.kind === 'notification' ? i.notification.seq : `${i.kind}:${i.id}`));

describe('NotificationStreams', () => {
  let store: MemoryHistoryStore;
  let streams: NotificationStreams;
  let hub: NotificationHub;
  let clock: ManualClock;
  let feed: MemoryFeed;

  beforeEach(() => {
    clock = new ManualClock();
    feed = new MemoryFeed();
    store = new MemoryHistoryStore(limits, feed, clock, 'ep');
    hub = new NotificationHub(feed);
    streams = new NotificationStreams(hub, store, clock);
  });
  const cursor = (seq: number): Cursor => ({ epoch: 'ep', seq });

  it('starts at the head without a cursor, then goes live', async () => {
    await store.append([input(['a'])]);
    const got = firstValueFrom(
      streams.open('a', { after: null, channels: null }).pipe(take(2), toArray()),
    );
    await new Promise((r) => setImmediate(r));
    await store.append([input(['a'])]);
    expect(ids(await got)).toEqual(['position:ep-1', 2]);
  });

  it('replays after the cursor, then live, without gap or duplicate', async () => {
    await store.append([input(['a']), input(['a']), input(['b']), input(['a'])]);
    const got = firstValueFrom(
      streams.open('a', { after: cursor(1), channels: null }).pipe(take(3), toArray()),
    );
    await new Promise((r) => setImmediate(r));
    await store.append([input(['a'])]);
    expect(ids(await got)).toEqual([2, 4, 5]);
  });

  it('lets through notifications that arrive during the replay exactly once', async () => {
    await store.append([input(['a'])]);
    // A store whose read is slow: new notifications are appended while it is in flight.
    const slow: HistoryStore = {
      append: (b) => store.append(b),
      head: () => store.head(),
      size: () => store.size(),
      close: () => store.close(),
      read: async (u: string, after: Cursor | null, o: ReadOptions): Promise<ReadResult> => {
        await store.append([input(['a']), input(['a'])]);
        return store.read(u, after, o);
      },
    };
    const s = new NotificationStreams(hub, slow, clock);
    const got = await firstValueFrom(
      s.open('a', { after: cursor(0), channels: null }).pipe(take(3), toArray()),
    );
    expect(ids(got)).toEqual([1, 2, 3]);
  });

  it('sends reset with the head for a cursor it cannot resume, then live', async () => {
    await store.append([input(['a'])]);
    const got = firstValueFrom(
      streams
        .open('a', { after: { epoch: 'gone', seq: 5 }, channels: null })
        .pipe(take(2), toArray()),
    );
    await new Promise((r) => setImmediate(r));
    await store.append([input(['a'])]);
    expect(ids(await got)).toEqual(['reset:ep-1', 2]);
  });

  it('resets and goes on when history starts a new sequence under an open stream', async () => {
    await store.append([input(['a']), input(['a']), input(['a'])]);
    const got = firstValueFrom(
      streams.open('a', { after: cursor(1), channels: null }).pipe(take(5), toArray()),
    );
    await new Promise((r) => setImmediate(r));
    // What a replica sees when Redis comes back empty: the same users, numbered from 1 again.
    const reborn = (seq: number) =>
      new StoredNotification(seq, 'ep2', ['a'], 'chat', 't', '{}', 0, 0);
    feed.publish(reborn(1));
    feed.publish(reborn(2));
    expect(ids(await got)).toEqual([2, 3, 'reset:ep2-0', 1, 2]);
  });

  it('filters channels on replay and live', async () => {
    await store.append([input(['a'], 'alerts'), input(['a'], 'chat')]);
    const got = firstValueFrom(
      streams
        .open('a', { after: cursor(0), channels: new Set(['alerts']) })
        .pipe(take(2), toArray()),
    );
    await new Promise((r) => setImmediate(r));
    await store.append([input(['a'], 'chat'), input(['a'], 'alerts')]);
    expect(ids(await got)).toEqual([1, 4]);
  });

  it('delivers a notification live before its ttl and never replays it after', async () => {
    const live = firstValueFrom(
      streams.open('a', { after: cursor(0), channels: null }).pipe(take(1), toArray()),
    );
    await new Promise((r) => setImmediate(r));
    await store.append([{ ...input(['a']), ttlSeconds: 1 }, input(['a'])]);
    expect(ids(await live)).toEqual([1]);
    clock.advance(2000);
    const replay = await firstValueFrom(
      streams.open('a', { after: cursor(0), channels: null }).pipe(take(1), toArray()),
    );
    expect(ids(replay)).toEqual([2]);
  });

  it('completes when the hub closes and detaches when unsubscribed', async () => {
    const sub = streams.open('a', { after: null, channels: null }).subscribe();
    await new Promise((r) => setImmediate(r));
    expect(hub.listenerCount).toBe(1);
    sub.unsubscribe();
    expect(hub.listenerCount).toBe(0);
    let completed = false;
    streams
      .open('b', { after: null, channels: null })
      .subscribe({ complete: () => (completed = true) });
    hub.close();
    expect(completed).toBe(true);
  });
});
