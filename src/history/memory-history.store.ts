import { formatEventId, newEpoch, type Cursor } from '../cursor/event-id.js';
import type { Clock } from '../common/clock.js';
import { StoredNotification, type NotificationInput } from '../notifications/notification.js';
import type { AppendResult, HistoryStore, ReadOptions, ReadResult } from './history-store.js';
import { LogMarks } from './log-marks.js';
import type { MemoryFeed } from './memory-feed.js';
import { NameTable } from './name-table.js';

export interface HistoryLimits {
  readonly maxPerUser: number;
  readonly ttlSeconds: number;
  readonly maxUsers: number;
  readonly dedupeTtlSeconds: number;
  readonly dedupeMaxKeys: number;
  /** How far below a log's last accepted offset a record still counts as a redelivery. */
  readonly dedupeLogWindow: number;
}

/** One user's (or the broadcast) retained notifications, oldest first. */
interface Stream {
  items: StoredNotification[];
  /** Highest seq dropped by retention: a cursor below it has missed something. */
  floor: number;
  /** Written since it last reached the head of the eviction order (its second chance). */
  written: boolean;
  /**
   * `[userId]` (`null` for the broadcast stream): the recipients of every notification to this
   * user alone, shared, so each retained one keeps no array and no user id string of its own.
   */
  readonly sole: readonly string[] | null;
}

const BROADCAST = '\u0000broadcast';

/**
 * In-memory history for a single replica. Bounded three ways: notifications per user (count and
 * age) and the number of users, so memory stays flat however many users publishers name.
 */
export class MemoryHistoryStore implements HistoryStore {
  readonly epoch: string;
  private seq = 0;
  private retained = 0;
  private readonly streams = new Map<string, Stream>();
  /** Highest seq of any stream evicted whole: unknown users with an older cursor get a reset. */
  private evictedFloor = 0;
  /**
   * Producer id → the event id it got. Only the id: the window holds up to DEDUPE_MAX_KEYS
   * entries for a day, far longer than history keeps the notifications themselves (with their
   * cached encodings, that was about 1 KB each kept alive, and the GC walking all of it).
   */
  private readonly dedupe = new Map<string, string>();
  /**
   * The dedupe keys in insertion order, which is expiry order, with their expiry times. Evicting
   * through the Map's own order (`keys().next()`) rescans the holes earlier deletes left at its
   * front: 24 µs per eviction at a million keys, more than a whole delivery costs.
   */
  private dedupeOrder: string[] = [];
  private dedupeExpiry: number[] = [];
  private dedupeHead = 0;
  /** Records without a producer key are recognised by their place in their log instead. */
  private readonly logMarks: LogMarks;
  private readonly names = new NameTable();

  constructor(
    private readonly limits: HistoryLimits,
    private readonly feed: MemoryFeed,
    private readonly clock: Clock,
    epoch: string = newEpoch(),
  ) {
    this.epoch = epoch;
    this.logMarks = new LogMarks(limits.dedupeLogWindow, limits.dedupeTtlSeconds * 1000);
  }

  async append(batch: readonly NotificationInput[]): Promise<AppendResult[]> {
    const now = this.clock.now();
    this.expireDedupe(now);
    const results: AppendResult[] = [];
    for (const input of batch) {
      const seen =
        input.dedupeKey !== undefined
          ? this.dedupe.get(input.dedupeKey)
          : input.logPosition && this.logMarks.seen(input.logPosition, now);
      if (seen !== undefined) {
        results.push({ id: seen, duplicate: true });
        continue;
      }
      const seq = ++this.seq;
      const ttl = input.ttlSeconds ?? 0;
      const alone = input.userIds?.length === 1 ? this.streamOf(input.userIds[0]) : undefined;
      const n = new StoredNotification(
        seq,
        this.epoch,
        alone ? alone.sole : input.userIds,
        this.names.intern(input.channel),
        this.names.intern(input.type),
        input.payloadJson,
        now,
        ttl ? now + ttl * 1000 : 0,
      );
      if (input.dedupeKey !== undefined) {
        this.dedupe.set(input.dedupeKey, n.id);
        this.dedupeOrder.push(input.dedupeKey);
        this.dedupeExpiry.push(now + this.limits.dedupeTtlSeconds * 1000);
        if (this.dedupe.size > this.limits.dedupeMaxKeys) this.dropOldestDedupeKey();
      } else if (input.logPosition) this.logMarks.accepted(input.logPosition, n.id, now);
      if (alone) this.retain(alone, n, now);
      else for (const key of n.userIds ?? [BROADCAST]) this.retain(this.streamOf(key), n, now);
      results.push({ id: n.id, duplicate: false });
      // Delivery to every live listener happens within publish: the encodings it built are not
      // needed by the copy history keeps.
      this.feed.publish(n);
      n.releaseEncodings();
    }
    return results;
  }

  async read(userId: string, after: Cursor | null, options: ReadOptions): Promise<ReadResult> {
    const now = this.clock.now();
    const own = this.streams.get(userId);
    const all = this.streams.get(BROADCAST);
    if (own) this.trim(own, now);
    if (all) this.trim(all, now);
    const ownFloor = own ? own.floor : this.evictedFloor;
    // The broadcast stream is never evicted: without one, no broadcast was ever dropped.
    const allFloor = all?.floor ?? 0;
    if (
      after &&
      (after.epoch !== this.epoch ||
        after.seq > this.seq ||
        after.seq < Math.max(ownFloor, allFloor))
    ) {
      return { kind: 'reset', head: formatEventId(this.epoch, this.seq) };
    }
    const from = after?.seq ?? 0;
    const wanted = (n: StoredNotification) =>
      n.seq > from &&
      (n.expiresAt === 0 || n.expiresAt > now) &&
      (options.channels === null || options.channels.has(n.channel));
    const merged = mergeBySeq(own?.items.filter(wanted) ?? [], all?.items.filter(wanted) ?? []);
    return {
      kind: 'events',
      events: merged.slice(0, options.limit),
      hasMore: merged.length > options.limit,
    };
  }

  async head(): Promise<string> {
    return formatEventId(this.epoch, this.seq);
  }

  size(): number {
    return this.retained;
  }

  async close(): Promise<void> {
    this.feed.complete();
  }

  /** The stream of `key`, created (evicting the least recently written user if full) if new. */
  private streamOf(key: string): Stream {
    let stream = this.streams.get(key);
    if (stream) {
      // Marked rather than moved to the end of the Map: moving costs a delete and an insert on
      // every notification, and eviction (rare) can move it then.
      stream.written = true;
    } else {
      if (this.streams.size >= this.limits.maxUsers) this.evictOldestUser();
      const sole = key === BROADCAST ? null : Object.freeze([key]);
      stream = { items: [], floor: this.evictedFloor, written: false, sole };
      this.streams.set(key, stream);
    }
    return stream;
  }

  private retain(stream: Stream, n: StoredNotification, now: number): void {
    stream.items.push(n);
    this.retained++;
    this.trim(stream, now);
  }

  private trim(stream: Stream, now: number): void {
    const oldest = now - this.limits.ttlSeconds * 1000;
    let drop = Math.max(0, stream.items.length - this.limits.maxPerUser);
    while (drop < stream.items.length && stream.items[drop].createdAt < oldest) drop++;
    if (drop === 0) return;
    stream.floor = stream.items[drop - 1].seq;
    // A full stream drops one per append: shift() moves the array's start in place (V8 trims it
    // from the left), where splice(0, n) copies every element left (3.5 µs at 1 000 items).
    if (drop <= 8) for (let i = 0; i < drop; i++) stream.items.shift();
    else stream.items.splice(0, drop);
    this.retained -= drop;
  }

  /**
   * Evicts the least recently written user, by second chance: Map order is insertion order, and
   * a user written since it was (re)inserted goes to the end instead, unmarked.
   */
  private evictOldestUser(): void {
    for (const [key, stream] of this.streams) {
      if (key === BROADCAST) continue;
      if (stream.written) {
        stream.written = false;
        this.streams.delete(key);
        this.streams.set(key, stream);
        continue;
      }
      const last = stream.items.at(-1);
      this.evictedFloor = Math.max(this.evictedFloor, last?.seq ?? stream.floor);
      this.retained -= stream.items.length;
      this.streams.delete(key);
      return;
    }
  }

  private expireDedupe(now: number): void {
    while (this.dedupeHead < this.dedupeOrder.length) {
      if (this.dedupeExpiry[this.dedupeHead] > now) return;
      this.dropOldestDedupeKey();
    }
  }

  private dropOldestDedupeKey(): void {
    this.dedupe.delete(this.dedupeOrder[this.dedupeHead++]);
    // Compact once the consumed front outweighs the rest: amortised O(1) per key.
    if (this.dedupeHead > 1024 && this.dedupeHead * 2 > this.dedupeOrder.length) {
      this.dedupeOrder = this.dedupeOrder.slice(this.dedupeHead);
      this.dedupeExpiry = this.dedupeExpiry.slice(this.dedupeHead);
      this.dedupeHead = 0;
    }
  }
}

/** Merges two seq-ordered lists (a user's stream and the broadcast). */
export function mergeBySeq(a: StoredNotification[], b: StoredNotification[]): StoredNotification[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: StoredNotification[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(a[i].seq < b[j].seq ? a[i++] : b[j++]);
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}
