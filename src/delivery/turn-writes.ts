import { performance } from 'node:perf_hooks';

/** The part of a socket (`net.Socket`) that can hold its writes back. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

export interface TurnWritesOptions {
  /** Runs the flush at the end of the event-loop turn (its check phase). */
  readonly atTurnEnd?: (flush: () => void) => void;
  /** Runs the flush once the code that wrote has finished (a microtask). */
  readonly soon?: (flush: () => void) => void;
  /** Milliseconds the event loop has spent waiting for I/O since the process started. */
  readonly idleTime?: () => number;
  /** Waiting at least this long since the last flush means the gateway is not busy. */
  readonly quietMs?: number;
}

/**
 * At 2 000 notifications/s in requests of 10 the loop waits most of the 5 ms between requests; a
 * saturated one hardly waits at all, since the next request is already there.
 */
export const QUIET_MS = 1;

/**
 * Holds a socket's writes corked so that everything it gets from one batch of notifications, or
 * while the gateway is busy from one whole event-loop turn, leaves in one `writev`. Node corks an
 * HTTP response only for the rest of the current tick, and `ws` sends each message with its own
 * write: under load, one syscall per recipient per publish request (or Kafka batch) was a third
 * of the process (bench/RESULTS.md).
 *
 * Writes are held only as long as others can join them. While the event loop is busy (it has not
 * waited `quietMs` for I/O since the last flush), they wait for the turn's check phase, where the
 * turn's other requests and batches have added theirs. After a quiet spell they leave as soon as
 * the code that wrote them is done (a microtask): at 2 000 notifications/s in requests of 10,
 * holding them to the turn's end made each delivery wait behind the publisher's answer and the
 * request's own bookkeeping, for nothing to join it (bench/RESULTS.md, seventh session).
 */
export class TurnWrites {
  private held = new Set<Corkable>();
  private scheduled = false;
  private idleAtFlush = -Infinity;
  private readonly atTurnEnd: (flush: () => void) => void;
  private readonly soon: (flush: () => void) => void;
  private readonly idleTime: () => number;
  private readonly quietMs: number;

  constructor(options: TurnWritesOptions = {}) {
    this.atTurnEnd = options.atTurnEnd ?? setImmediate;
    this.soon = options.soon ?? queueMicrotask;
    this.idleTime = options.idleTime ?? (() => performance.nodeTiming.idleTime);
    this.quietMs = options.quietMs ?? QUIET_MS;
  }

  /** Call before writing to `socket`; the first call corks it, the flush uncorks it. */
  hold(socket: Corkable): void {
    if (this.held.has(socket)) return;
    socket.cork();
    this.held.add(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      if (this.idleTime() - this.idleAtFlush >= this.quietMs) this.soon(this.flush);
      else this.atTurnEnd(this.flush);
    }
  }

  /** Sends everything held now (also what the scheduled flush does). */
  readonly flush = (): void => {
    this.scheduled = false;
    const held = this.held;
    if (held.size === 0) return;
    this.idleAtFlush = this.idleTime();
    this.held = new Set();
    // A socket destroyed or ended meanwhile has nothing corked left: uncork is a no-op there.
    for (const socket of held) socket.uncork();
  };
}
