import type { LogPosition } from '../notifications/notification.js';

interface Mark {
  offset: number;
  /** The id the record at `offset` got: what a redelivery of it (or of an earlier one) answers. */
  id: string;
  /** When the mark last moved; past the dedupe TTL it no longer counts. */
  at: number;
}

/**
 * Redelivery detection for log records: the last offset accepted from each log. A record at or
 * below it, but no more than `window` below, was accepted before (a consumer re-reads from its
 * last committed offset, never further back than that). Further below, the log started over (a
 * re-created topic, whose offsets restart at 0): it is new. Redis keeps the same rule in its
 * append script (redis-history.scripts.ts).
 */
export class LogMarks {
  private readonly marks = new Map<string, Mark>();

  constructor(
    private readonly window: number,
    private readonly ttlMs: number,
  ) {}

  /** The id answered for a redelivered record, or undefined when the record is new. */
  seen(position: LogPosition, now: number): string | undefined {
    const mark = this.marks.get(position.log);
    if (!mark || now - mark.at > this.ttlMs) return undefined;
    const { offset } = position;
    return offset <= mark.offset && offset > mark.offset - this.window ? mark.id : undefined;
  }

  /** Records that the record at `position` was accepted as `id`. */
  accepted(position: LogPosition, id: string, now: number): void {
    const mark = this.marks.get(position.log);
    if (!mark) {
      this.marks.set(position.log, { offset: position.offset, id, at: now });
      return;
    }
    // Accepted means past the mark or far below it (the log started over): either way the
    // log continues from here.
    mark.offset = position.offset;
    mark.id = id;
    mark.at = now;
  }
}
