import { formatEventId, newEpoch, type Cursor } from '../cursor/event-id.js';
import type { Clock } from '../common/clock.js';
import { StoredNotification, type NotificationInput } from '../notifications/notification.js';
import type { AppendResult, HistoryStore, ReadOptions, ReadResult } from './history-store.js';
import { LogMarks } from './log-marks.js';
import type { MemoryFeed } from './memory-feed.js';
import { NameTable } from './name-table.js';
import { PackedStream } from './packed-stream.js';

export interface HistoryLimits {
  readonly maxPerUser: number;
  readonly ttlSeconds: number;
  readonly maxUsers: number;
  readonly dedupeTtlSeconds: number;
  readonly dedupeMaxKeys: number;
  /** How far below a log's last accepted offset a record still counts as a redelivery. */
  readonly dedupeLogWindow: number;
}

const BROADCAST = '\u0000broadcast';
/** Stands in for a stream that does not exist: it holds nothing and is never written. */
const NONE = new PackedStream(0, null);

/**
 * In-memory history for a single replica. Bounded three ways: notifications per user (count and
 * age) and the number of users, so memory stays flat however many users publishers name.
 */
export class MemoryHistoryStore implements HistoryStore {
  readonly epoch: string;
  private seq = 0;
  private retained = 0;
  private readonly streams = new Map<string, PackedStream>();
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
      const keep = !alone && n.userIds !== null;
      if (alone) this.retain(alone, n, false, now);
      else
        for (const key of n.userIds ?? [BROADCAST]) this.retain(this.streamOf(key), n, keep, now);
      results.push({ id: n.id, duplicate: false });
      // Delivery to every live listener happens within publish: the encodings it built are not
      // needed by the object history keeps of a notification to several users.
      this.feed.publish(n);
      if (keep) n.releaseEncodings();
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
    const events: StoredNotification[] = [];
    // Merged by seq: the user's stream and the broadcast's.
    const a = own ?? NONE;
    const b = all ?? NONE;
    let i = a.firstAfter(from);
    let j = b.firstAfter(from);
    while (a.has(i) || b.has(j)) {
      const mine = !b.has(j) || (a.has(i) && a.seqAt(i) < b.seqAt(j));
      const stream = mine ? a : b;
      const p = mine ? i : j;
      if (mine) i = a.next(i);
      else j = b.next(j);
      const expiresAt = stream.expiresAt(p);
      if (expiresAt !== 0 && expiresAt <= now) continue;
      if (options.channels !== null && !options.channels.has(stream.channelAt(p))) continue;
      if (events.length === options.limit) return { kind: 'events', events, hasMore: true };
      events.push(stream.at(p, this.epoch, this.intern));
    }
    return { kind: 'events', events, hasMore: false };
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

  private readonly intern = (name: string) => this.names.intern(name);

  /** The stream of `key`, created (evicting the least recently written user if full) if new. */
  private streamOf(key: string): PackedStream {
    let stream = this.streams.get(key);
    if (stream) {
      // Marked rather than moved to the end of the Map: moving costs a delete and an insert on
      // every notification, and eviction (rare) can move it then.
      stream.written = true;
    } else {
      if (this.streams.size >= this.limits.maxUsers) this.evictOldestUser();
      stream = new PackedStream(this.evictedFloor, key === BROADCAST ? null : Object.freeze([key]));
      this.streams.set(key, stream);
    }
    return stream;
  }

  private retain(stream: PackedStream, n: StoredNotification, keep: boolean, now: number): void {
    stream.push(n, keep);
    this.retained++;
    this.trim(stream, now);
  }

  private trim(stream: PackedStream, now: number): void {
    this.retained -= stream.trim(this.limits.maxPerUser, now - this.limits.ttlSeconds * 1000);
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
      this.evictedFloor = Math.max(this.evictedFloor, stream.newest);
      this.retained -= stream.length;
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
