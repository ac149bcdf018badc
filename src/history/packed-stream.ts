import { StoredNotification } from '../notifications/notification.js';

/**
 * A record's header: seq, createdAt and expiresAt as doubles, then its length in bytes (header
 * and padding included), channel length, type length, whether the notification is kept whole,
 * and how many bytes of padding end the record.
 */
const HEADER = 32;
const LENGTH = 24;
const CHANNEL_LENGTH = 28;
const TYPE_LENGTH = 29;
const KEPT = 30;
const PADDING = 31;
const MIN_BYTES = 128;
const NO_BYTES = Buffer.alloc(0);

/**
 * One user's (or the broadcast's) retained notifications, oldest first, held outside the V8
 * heap: one buffer of records, each a header, channel, type and payload (UTF-8), 8-byte aligned
 * so the header's doubles are read and written through a Float64Array over the same memory.
 * History keeps notifications for a day; kept as objects, every one was copied out of the young
 * generation and marked by every mark-compact for as long as it lived, and over WebSocket at
 * 2 000/s the p99 was set by whether a phase held such a mark-compact (bench/RESULTS.md,
 * thirteenth session). A replay builds the objects again. One buffer rather than a ring of
 * headers beside the bytes: an append then writes one run of memory, which at volume is cold
 * (a thousand other users' appends went by since this user's last).
 *
 * A notification to several users is kept as the one shared object instead (`keep`): packed, a
 * 64 KB payload to 1 000 recipients would be 64 MB of copies.
 *
 * Records are addressed by their offset (a position): `firstAfter`, then `next` while `has`.
 * Channel and type take a byte each for their length: the codec's patterns cap them at 64 and 128
 * ASCII characters.
 */
export class PackedStream {
  /** Highest seq dropped by retention: a cursor below it has missed something. */
  floor: number;
  /** Written since it last reached the head of the eviction order (its second chance). */
  written = false;
  private bytes: Buffer = NO_BYTES;
  private doubles: Float64Array = new Float64Array(0);
  private head = 0;
  private end = 0;
  private count = 0;
  private lastSeq = 0;
  /** seq → the notification kept whole; only streams that were ever sent one have it. */
  private kept?: Map<number, StoredNotification>;

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

  /** The newest seq held, or the floor when it holds none. */
  get newest(): number {
    return this.count > 0 ? this.lastSeq : this.floor;
  }

  /** The position of the first record with a seq above `seq`. */
  firstAfter(seq: number): number {
    let p = this.head;
    while (p < this.end && this.seqAt(p) <= seq) p = this.next(p);
    return p;
  }

  has(p: number): boolean {
    return p < this.end;
  }

  next(p: number): number {
    return p + this.bytes.readUInt32LE(p + LENGTH);
  }

  seqAt(p: number): number {
    return this.doubles[p >> 3];
  }

  expiresAt(p: number): number {
    return this.doubles[(p >> 3) + 2];
  }

  channelAt(p: number): string {
    const b = this.bytes;
    if (b[p + KEPT]) return this.kept!.get(this.seqAt(p))!.channel;
    return b.toString('latin1', p + HEADER, p + HEADER + b[p + CHANNEL_LENGTH]);
  }

  /** The record at `p` as a notification; channel and type through `intern`, so replays share them. */
  at(p: number, epoch: string, intern: (name: string) => string): StoredNotification {
    const b = this.bytes;
    if (b[p + KEPT]) return this.kept!.get(this.seqAt(p))!;
    const typeStart = p + HEADER + b[p + CHANNEL_LENGTH];
    const payloadStart = typeStart + b[p + TYPE_LENGTH];
    const end = this.next(p) - b[p + PADDING];
    const d = p >> 3;
    return new StoredNotification(
      this.doubles[d],
      epoch,
      this.sole,
      intern(b.toString('latin1', p + HEADER, typeStart)),
      intern(b.toString('latin1', typeStart, payloadStart)),
      b.toString('utf8', payloadStart, end),
      this.doubles[d + 1],
      this.doubles[d + 2],
    );
  }

  /** Appends `n` (the newest), packed unless `keep` says to hold the object itself. */
  push(n: StoredNotification, keep: boolean): void {
    const names = n.channel.length + n.type.length;
    const room = this.bytes.length - this.end;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: most payloads need no count.
    let need = keep ? HEADER : HEADER + names + n.payloadJson.length * 3 + 7;
    if (need > room && !keep) need = HEADER + names + Buffer.byteLength(n.payloadJson) + 7;
    if (need > room) this.repack(need);
    const b = this.bytes;
    const p = this.end;
    const d = p >> 3;
    this.doubles[d] = n.seq;
    this.doubles[d + 1] = n.createdAt;
    this.doubles[d + 2] = n.expiresAt;
    let at = p + HEADER;
    if (keep) {
      (this.kept ??= new Map()).set(n.seq, n);
      b[p + KEPT] = 1;
    } else {
      b[p + KEPT] = 0;
      b[p + CHANNEL_LENGTH] = n.channel.length;
      b[p + TYPE_LENGTH] = n.type.length;
      at = writeAscii(b, n.type, writeAscii(b, n.channel, at));
      at += b.write(n.payloadJson, at);
    }
    const padded = (at + 7) & ~7;
    b[p + PADDING] = padded - at;
    b.writeUInt32LE(padded - p, p + LENGTH);
    this.end = padded;
    this.count++;
    this.lastSeq = n.seq;
  }

  /**
   * Drops the oldest records while more than `maxCount` are held or the oldest was created
   * before `createdBefore`; returns how many it dropped.
   */
  trim(maxCount: number, createdBefore: number): number {
    let dropped = 0;
    while (
      this.count > 0 &&
      (this.count > maxCount || this.doubles[(this.head >> 3) + 1] < createdBefore)
    ) {
      const p = this.head;
      this.floor = this.seqAt(p);
      if (this.bytes[p + KEPT]) this.kept!.delete(this.floor);
      this.head = this.next(p);
      this.count--;
      dropped++;
    }
    // An emptied stream (its user quiet for a TTL) gives its buffer back.
    if (dropped > 0 && this.count === 0) {
      this.use(NO_BYTES);
      this.head = this.end = 0;
      this.kept = undefined;
    }
    return dropped;
  }

  /**
   * Moves the live records to the start of a buffer of half as much again as they and `need`
   * take: the one it has when that is within a factor of two, else a new one. The next repack is
   * then at least half as many bytes away as it copies, and a buffer is at most three times what
   * it holds, 1.5 times when just resized (a power of two at twice it was up to four times).
   */
  private repack(need: number): void {
    const live = this.end - this.head;
    const size = Math.max(MIN_BYTES, (Math.ceil((live + need) * 1.5) + 7) & ~7);
    if (this.bytes.length >= size && this.bytes.length <= 2 * size) {
      this.bytes.copyWithin(0, this.head, this.end);
    } else {
      const next = Buffer.allocUnsafeSlow(size);
      this.bytes.copy(next, 0, this.head, this.end);
      this.use(next);
    }
    this.head = 0;
    this.end = live;
  }

  private use(bytes: Buffer): void {
    this.bytes = bytes;
    // allocUnsafeSlow gives each buffer its own ArrayBuffer, from offset 0.
    this.doubles = new Float64Array(bytes.buffer, 0, bytes.length >> 3);
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
