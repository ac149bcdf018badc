/**
 * Heartbeats for every connection of a transport on one timer. A timer per connection costs a
 * Timeout object, its closure and its async context for as long as the connection lives (about
 * 1 KB each at 19 000 idle streams, see bench/RESULTS.md); a single timer that wrote to every
 * connection at once would stall the event loop for a burst of thousands of writes each period.
 * So members are spread over `slots` buckets and one bucket is visited every `periodMs / slots`:
 * each member beats once per period, and each tick does 1/slots of the work.
 */
export class HeartbeatWheel<T> {
  private readonly slots: Set<T>[];
  private readonly slotOf = new Map<T, number>();
  private current = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly periodMs: number,
    private readonly beat: (member: T) => void,
    slotCount = 32,
  ) {
    this.slots = Array.from({ length: Math.max(1, slotCount) }, () => new Set<T>());
  }

  get size(): number {
    return this.slotOf.size;
  }

  members(): IterableIterator<T> {
    return this.slotOf.keys();
  }

  /** The member's first beat comes between (1 − 1/slots) and 1 period from now, then every period. */
  add(member: T): void {
    if (this.slotOf.has(member)) return;
    // The bucket visited last is the one a whole period away.
    this.slots[this.current].add(member);
    this.slotOf.set(member, this.current);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.periodMs / this.slots.length);
      // Heartbeats alone must not keep a process alive that is otherwise done.
      this.timer.unref();
    }
  }

  remove(member: T): void {
    const slot = this.slotOf.get(member);
    if (slot === undefined) return;
    this.slotOf.delete(member);
    this.slots[slot].delete(member);
    if (this.slotOf.size === 0) this.stop();
  }

  private tick(): void {
    this.current = (this.current + 1) % this.slots.length;
    for (const member of this.slots[this.current]) {
      try {
        this.beat(member);
      } catch {
        // One broken connection must not starve the others of their heartbeat; its transport closes it.
      }
    }
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
