import { StoredNotification } from '../notifications/notification.js';

/** seq, createdAt, expiresAt and the record's first byte, per slot. */
const STRIDE = 4;
const MIN_SLOTS = 8;
const MIN_BYTES = 512;
const NO_SLOTS = new Float64Array(0);
const NO_BYTES = Buffer.alloc(0);

/**
 * One user's (or the broadcast's) retained notifications, oldest first, held outside the V8
 * heap: positions and times in a ring of doubles, channel, type and payload as UTF-8 in one byte
 * buffer, records in the same order as their slots. History keeps notifications for a day; kept
 * as objects, every one was copied out of the young generation and marked by every mark-compact
 * for as long as it lived, and over WebSocket at 2 000/s the p99 was set by whether a phase held
 * such a mark-compact (bench/RESULTS.md, thirteenth session). A replay builds the objects again.
 *
 * A notification to several users is kept as the one shared object instead (`keep`): packed, a
 * 64 KB payload to 1 000 recipients would be 64 MB of copies.
 *
 * Record bytes: channel length, type length (one byte each: the codec's patterns cap them at 64
 * and 128 ASCII characters), channel, type, payload.
 */
export class PackedStream {
  /** Highest seq dropped by retention: a cursor below it has missed something. */
  floor: number;
  /** Written since it last reached the head of the eviction order (its second chance). */
  written = false;
  private slots = NO_SLOTS;
  private mask = -1;
  private head = 0;
  private count = 0;
  private bytes = NO_BYTES;
  private byteEnd = 0;
  /** Slot → the notification kept whole; only streams that were ever sent one have it. */
  private kept?: (StoredNotification | undefined)[];

  constructor(
    floor: number,
    /**
     * `[userId]` (`null` for the broadcast stream): the recipients of every notification to this
     * user alone, shared by every one delivered or replayed.
     */
    readonly sole: readonly string[] | null,
  ) {
    this.floor = floor;
  }

  get length(): number {
    return this.count;
  }

  seqAt(i: number): number {
    return this.slots[this.slot(i) * STRIDE];
  }

  createdAt(i: number): number {
    return this.slots[this.slot(i) * STRIDE + 1];
  }

  expiresAt(i: number): number {
    return this.slots[this.slot(i) * STRIDE + 2];
  }

  /** The index of the first record with a seq above `seq` (`length` if none). */
  firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqAt(mid) > seq) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  channelAt(i: number): string {
    const slot = this.slot(i);
    const whole = this.kept?.[slot];
    if (whole) return whole.channel;
    const start = this.slots[slot * STRIDE + 3];
    return this.bytes.toString('latin1', start + 2, start + 2 + this.bytes[start]);
  }

  /** Record `i` as a notification; channel and type through `intern`, so replays share them. */
  at(i: number, epoch: string, intern: (name: string) => string): StoredNotification {
    const slot = this.slot(i);
    const whole = this.kept?.[slot];
    if (whole) return whole;
    const base = slot * STRIDE;
    const start = this.slots[base + 3];
    const end = i + 1 < this.count ? this.slots[this.slot(i + 1) * STRIDE + 3] : this.byteEnd;
    const b = this.bytes;
    const typeStart = start + 2 + b[start];
    const payloadStart = typeStart + b[start + 1];
    return new StoredNotification(
      this.slots[base],
      epoch,
      this.sole,
      intern(b.toString('latin1', start + 2, typeStart)),
      intern(b.toString('latin1', typeStart, payloadStart)),
      b.toString('utf8', payloadStart, end),
      this.slots[base + 1],
      this.slots[base + 2],
    );
  }

  /** Appends `n` (the newest), packed unless `keep` says to hold the object itself. */
  push(n: StoredNotification, keep: boolean): void {
    if (this.count > this.mask) this.resizeSlots(Math.max(MIN_SLOTS, (this.mask + 1) * 2));
    const slot = (this.head + this.count) & this.mask;
    const base = slot * STRIDE;
    this.slots[base] = n.seq;
    this.slots[base + 1] = n.createdAt;
    this.slots[base + 2] = n.expiresAt;
    if (keep) (this.kept ??= [])[slot] = n;
    this.slots[base + 3] = keep ? this.byteEnd : this.pack(n);
    this.count++;
  }

  /** Drops the `k` oldest records. */
  dropOldest(k: number): void {
    if (this.kept) for (let i = 0; i < k; i++) this.kept[this.slot(i)] = undefined;
    this.head = (this.head + k) & this.mask;
    this.count -= k;
    if (this.count > 0) return;
    // An emptied stream (its user quiet for a TTL) gives its buffers back.
    this.slots = NO_SLOTS;
    this.mask = -1;
    this.head = 0;
    this.bytes = NO_BYTES;
    this.byteEnd = 0;
    this.kept = undefined;
  }

  /** Writes `n`'s record after the last one; returns where it starts. */
  private pack(n: StoredNotification): number {
    const names = 2 + n.channel.length + n.type.length;
    const room = this.bytes.length - this.byteEnd;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: most payloads need no count.
    const payload = names + n.payloadJson.length * 3 <= room ? 0 : Buffer.byteLength(n.payloadJson);
    if (names + payload > room) this.repack(names + payload);
    const b = this.bytes;
    const start = this.byteEnd;
    b[start] = n.channel.length;
    b[start + 1] = n.type.length;
    const at = writeAscii(b, n.type, writeAscii(b, n.channel, start + 2));
    this.byteEnd = at + b.write(n.payloadJson, at);
    return start;
  }

  private slot(i: number): number {
    return (this.head + i) & this.mask;
  }

  private resizeSlots(size: number): void {
    const next = new Float64Array(size * STRIDE);
    // The ring's records, in order, are at most two runs: from the head to the end, then from 0.
    const first = Math.min(this.count, this.mask + 1 - this.head);
    next.set(this.slots.subarray(this.head * STRIDE, (this.head + first) * STRIDE));
    next.set(this.slots.subarray(0, (this.count - first) * STRIDE), first * STRIDE);
    if (this.kept) {
      const kept = this.kept;
      this.kept = Array.from({ length: size }, (_, i) =>
        i < this.count ? kept[this.slot(i)] : undefined,
      );
    }
    this.slots = next;
    this.mask = size - 1;
    this.head = 0;
  }

  /**
   * Moves the live records to the start of a buffer with twice the room they and `need` take
   * (grown or shrunk to that), so the next repack is at least as many bytes away as it copies.
   */
  private repack(need: number): void {
    const from = this.count > 0 ? this.slots[this.slot(0) * STRIDE + 3] : this.byteEnd;
    const live = this.byteEnd - from;
    let size = MIN_BYTES;
    while (size < 2 * (live + need)) size *= 2;
    if (size === this.bytes.length) this.bytes.copyWithin(0, from, this.byteEnd);
    else {
      const next = Buffer.allocUnsafeSlow(size);
      this.bytes.copy(next, 0, from, this.byteEnd);
      this.bytes = next;
    }
    for (let i = 0; i < this.count; i++) this.slots[this.slot(i) * STRIDE + 3] -= from;
    this.byteEnd = live;
  }
}

/**
 * Writes a short ASCII name byte by byte: for the few characters of a channel or type, cheaper
 * than a call into `Buffer#write` (about 30 ns against 55 on this machine).
 */
function writeAscii(b: Buffer, name: string, at: number): number {
  for (let i = 0; i < name.length; i++) b[at + i] = name.charCodeAt(i);
  return at + name.length;
}
