import { beforeEach, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../common/clock.js';
import { parseEventId, type Cursor } from '../cursor/event-id.js';
import type { NotificationInput, StoredNotification } from '../notifications/notification.js';
import { MemoryFeed } from './memory-feed.js';
import { MemoryHistoryStore } from './memory-history.store.js';

const input = (
  userIds: string[] | null,
  extra: Partial<NotificationInput> = {},
): NotificationInput => ({
  userIds,
  channel: 'chat',
  type: 't',
  payloadJson: '{}',
  ...extra,
});
const all = { channels: null, limit: 1000 };

describe('MemoryHistoryStore', () => {
  let clock: ManualClock;
  let feed: MemoryFeed;
  let store: MemoryHistoryStore;
  let published: StoredNotification[];
  const limits = {
    maxPerUser: 3,
    ttlSeconds: 60,
    maxUsers: 10,
    dedupeTtlSeconds: 30,
    dedupeMaxKeys: 100,
    dedupeLogWindow: 1000,
  };
  const start = (): Cursor => ({ epoch: store.epoch, seq: 0 });

  beforeEach(() => {
    clock = new ManualClock();
    feed = new MemoryFeed();
    store = new MemoryHistoryStore(limits, feed, clock, 'ep1');
    published = [];
    feed.notifications$.subscribe((n) => published.push(n));
  });

  it('assigns strictly increasing ids and publishes in order', async () => {
    const r = await store.append([input(['a']), input(['b']), input(['a'])]);
    const seqs = r.map((x) => parseEventId(x.id)!.seq);
    expect(seqs).toEqual([1, 2, 3]);
    expect(published.map((n) => n.seq)).toEqual([1, 2, 3]);
    expect(await store.head()).toBe('ep1-3');
  });

  it('reads only the user’s own notifications and broadcasts, after the cursor', async () => {
    await store.append([input(['a']), input(['b']), input(null), input(['a', 'b'])]);
    const page = await store.read('a', start(), all);
    expect(page.kind === 'events' && page.events.map((n) => n.seq)).toEqual([1, 3, 4]);
    const after = await store.read('a', { epoch: 'ep1', seq: 3 }, all);
    expect(after.kind === 'events' && after.events.map((n) => n.seq)).toEqual([4]);
  });

  it('filters channels and pages with hasMore', async () => {
    await store.append([input(['a']), input(['a'], { channel: 'alerts' }), input(['a'])]);
    const chat = await store.read('a', start(), { channels: new Set(['chat']), limit: 1 });
    expect(chat).toMatchObject({ kind: 'events', hasMore: true });
    expect(chat.kind === 'events' && chat.events.map((n) => n.seq)).toEqual([1]);
  });

  it('deduplicates producer ids within the window, then forgets them', async () => {
    const [first] = await store.append([input(['a'], { dedupeKey: 'k1' })]);
    const [again] = await store.append([input(['a'], { dedupeKey: 'k1' })]);
    expect(again).toEqual({ id: first.id, duplicate: true });
    expect(published).toHaveLength(1);
    clock.advance(31_000);
    const [later] = await store.append([input(['a'], { dedupeKey: 'k1' })]);
    expect(later.duplicate).toBe(false);
  });

  it('keeps the newest producer ids up to the key limit, however many went before', async () => {
    // Enough evictions to compact the key order several times.
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    for (let i = 0; i < keys.length; i += 500) {
      await store.append(keys.slice(i, i + 500).map((k) => input(['a'], { dedupeKey: k })));
    }
    const again = await store.append(
      ['k4900', 'k4999', 'k4899'].map((k) => input(['a'], { dedupeKey: k })),
    );
    expect(again.map((r) => r.duplicate)).toEqual([true, true, false]);
    // The remembered ones still expire by age.
    clock.advance(31_000);
    const later = await store.append([input(['a'], { dedupeKey: 'k4999' })]);
    expect(later[0].duplicate).toBe(false);
  });

  it('deduplicates inside one batch', async () => {
    const r = await store.append([
      input(['a'], { dedupeKey: 'x' }),
      input(['a'], { dedupeKey: 'x' }),
    ]);
    expect(r.map((x) => x.duplicate)).toEqual([false, true]);
    expect(store.size()).toBe(1);
  });

  it('keeps at most maxPerUser and resets a cursor older than what is retained', async () => {
    await store.append([1, 2, 3, 4, 5].map(() => input(['a'])));
    expect(store.size()).toBe(3);
    expect(await store.read('a', start(), all)).toEqual({ kind: 'reset', head: 'ep1-5' });
    const ok = await store.read('a', { epoch: 'ep1', seq: 2 }, all);
    expect(ok.kind === 'events' && ok.events.map((n) => n.seq)).toEqual([3, 4, 5]);
  });

  it('drops notifications older than the ttl and resets cursors before them', async () => {
    await store.append([input(['a'])]);
    clock.advance(61_000);
    await store.append([input(['a'])]);
    expect(await store.read('a', start(), all)).toMatchObject({ kind: 'reset' });
    const page = await store.read('a', { epoch: 'ep1', seq: 1 }, all);
    expect(page.kind === 'events' && page.events.map((n) => n.seq)).toEqual([2]);
  });

  it('does not replay a notification past its own ttlSeconds', async () => {
    await store.append([input(['a'], { ttlSeconds: 5 }), input(['a'])]);
    clock.advance(6000);
    const page = await store.read('a', start(), all);
    expect(page.kind === 'events' && page.events.map((n) => n.seq)).toEqual([2]);
  });

  it('resets cursors from another epoch or from the future', async () => {
    await store.append([input(['a'])]);
    expect(await store.read('a', { epoch: 'other', seq: 1 }, all)).toMatchObject({ kind: 'reset' });
    expect(await store.read('a', { epoch: 'ep1', seq: 99 }, all)).toMatchObject({ kind: 'reset' });
  });

  it('evicts the least recently written user past maxUsers, and resets that user’s old cursor', async () => {
    for (let i = 0; i < 11; i++) await store.append([input([`u${i}`])]);
    expect(store.size()).toBe(10);
    expect(await store.read('u0', start(), all)).toMatchObject({ kind: 'reset' });
    const u1 = await store.read('u1', start(), all);
    expect(u1.kind === 'events' && u1.events).toHaveLength(1);
  });

  it('counts a write as use: a user written again outlives those written once since', async () => {
    for (let i = 0; i < 10; i++) await store.append([input([`u${i}`])]);
    await store.append([input(['u0'])]);
    await store.append([input(['u3'])]);
    await store.append([input(['new1'])]);
    await store.append([input(['new2'])]);
    await store.append([input(['new3'])]);
    const events = async (user: string) => {
      const page = await store.read(user, start(), all);
      return page.kind === 'events' ? page.events.length : page.kind;
    };
    expect(await events('u0')).toBe(2);
    expect(await events('u3')).toBe(2);
    expect([await events('u1'), await events('u2'), await events('u4')]).toEqual([
      'reset',
      'reset',
      'reset',
    ]);
    expect(await events('u5')).toBe(1);
  });

  it('replays a notification to one user from its packed bytes, encoded as it was live', async () => {
    const live: { json: string; sse: string; ws: Buffer }[] = [];
    feed.notifications$.subscribe((n) =>
      live.push({ json: n.json, sse: n.sseChunk, ws: n.wsFrame }),
    );
    const payloadJson = JSON.stringify({ x: 1, text: 'h\u00e9llo \u2603 \ud83d\ude00 "q" \\ \n' });
    await store.append([input(['a'], { payloadJson, channel: 'c.1:x-y', type: 'a/b.c' })]);
    const page = await store.read('a', start(), all);
    const replayed = page.kind === 'events' ? page.events[0] : undefined;
    // Not the object delivered live: history kept none.
    expect(replayed).not.toBe(published[0]);
    expect(replayed).toMatchObject({ seq: 1, channel: 'c.1:x-y', type: 'a/b.c', payloadJson });
    expect(replayed?.json).toBe(live[0].json);
    expect(replayed?.sseChunk).toBe(live[0].sse);
    expect(replayed?.wsFrame.equals(live[0].ws)).toBe(true);
  });

  it('keeps a notification to several users as one object, without its encodings', async () => {
    await store.append([input(['a', 'b'], { payloadJson: '{"x":1}' })]);
    const [both] = published;
    const [a, b] = await Promise.all(['a', 'b'].map((u) => store.read(u, start(), all)));
    expect(a.kind === 'events' && a.events[0]).toBe(both);
    expect(b.kind === 'events' && b.events[0]).toBe(both);
    // The id's text is dropped with the encodings and built again, the same.
    expect(Object.values(both)).not.toContain('ep1-1');
    expect(both.id).toBe('ep1-1');
    expect(both.json).toContain('"x":1');
  });

  it('shares one recipients array and one copy of each name, live and replayed', async () => {
    const copy = (s: string) => [...s].join('');
    await store.append([
      input([copy('a')], { channel: copy('chat'), type: copy('t') }),
      input([copy('a')], { channel: copy('chat'), type: copy('t') }),
    ]);
    const page = await store.read('a', start(), all);
    const replayed = page.kind === 'events' ? page.events : [];
    const [first, ...rest] = [...published, ...replayed];
    expect(rest).toHaveLength(3);
    for (const n of rest) {
      expect(n.userIds).toBe(first.userIds);
      expect(n.channel).toBe(first.channel);
      expect(n.type).toBe(first.type);
    }
    expect(replayed.map((n) => n.id)).toEqual(['ep1-1', 'ep1-2']);
  });

  it('merges a user’s notifications with broadcasts and mixed recipients in id order', async () => {
    const big = { ...limits, maxPerUser: 100 };
    store = new MemoryHistoryStore(big, feed, clock, 'ep1');
    const kinds = [['a'], null, ['a', 'b'], ['b'], null, ['a']];
    for (let i = 0; i < 60; i++) {
      await store.append([input(kinds[i % kinds.length], { payloadJson: `{"n":${i}}` })]);
    }
    const page = await store.read('a', start(), all);
    const seen = page.kind === 'events' ? page.events : [];
    const expected = Array.from({ length: 60 }, (_, i) => i).filter(
      (i) => kinds[i % kinds.length]?.includes('a') ?? true,
    );
    expect(seen.map((n) => JSON.parse(n.payloadJson).n)).toEqual(expected);
    expect(seen.map((n) => n.seq)).toEqual(expected.map((i) => i + 1));
  });

  it('lists everything retained when read without a cursor, never a reset', async () => {
    await store.append([1, 2, 3, 4, 5].map(() => input(['a'])));
    const page = await store.read('a', null, all);
    expect(page.kind === 'events' && page.events.map((n) => n.seq)).toEqual([3, 4, 5]);
  });
});
