/** The part of a socket (`net.Socket`) that can hold its writes back. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Holds every socket written to during one event-loop turn corked until that turn's I/O is done,
 * so everything a connection gets in the turn leaves in one `writev`. Node corks an HTTP response
 * only for the rest of the current tick, so each publish request (or Kafka batch) handled in the
 * same turn cost every recipient a syscall of its own, and `ws` sends each message with its own
 * write; under load the syscalls were a third of the process (bench/RESULTS.md). The delay is
 * bounded by the turn: the writes leave in its check phase, before any timer or further I/O.
 */
export class TurnWrites {
  private held = new Set<Corkable>();
  private scheduled = false;

  constructor(private readonly schedule: (flush: () => void) => void = setImmediate) {}

  /** Call before writing to `socket`; the first call of a turn corks it, the turn's end uncorks it. */
  hold(socket: Corkable): void {
    if (this.held.has(socket)) return;
    socket.cork();
    this.held.add(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.flush);
    }
  }

  /** Sends everything held now (also what the scheduled flush does). */
  readonly flush = (): void => {
    this.scheduled = false;
    const held = this.held;
    if (held.size === 0) return;
    this.held = new Set();
    // A socket destroyed or ended meanwhile has nothing corked left: uncork is a no-op there.
    for (const socket of held) socket.uncork();
  };
}
