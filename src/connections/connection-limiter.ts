export type Transport = 'sse' | 'ws' | 'longpoll';

export interface ConnectionLease {
  /** Frees the slot. Safe to call any number of times, and unbound (as a listener). */
  readonly release: () => void;
}

export type Admission =
  | { readonly ok: true; readonly lease: ConnectionLease }
  | { readonly ok: false; readonly reason: 'user_cap' | 'process_cap'; readonly limit: number };

export interface LimiterCaps {
  readonly perUser: number;
  readonly perProcess: number;
}

/**
 * The one place connection slots are counted, shared by SSE, WebSocket and long polling so a
 * user's caps hold across transports. `admit` is async so a cluster-wide implementation (Redis
 * leases) can stand behind the same interface.
 */
export interface ConnectionLimiter {
  admit(userId: string, transport: Transport): Promise<Admission>;
  readonly total: number;
  countFor(userId: string): number;
  byTransport(): Readonly<Record<Transport, number>>;
}

export class LocalConnectionLimiter implements ConnectionLimiter {
  private readonly perUser = new Map<string, number>();
  private readonly transports: Record<Transport, number> = { sse: 0, ws: 0, longpoll: 0 };
  private count = 0;

  constructor(private readonly caps: LimiterCaps) {}

  async admit(userId: string, transport: Transport): Promise<Admission> {
    if (this.count >= this.caps.perProcess) {
      return { ok: false, reason: 'process_cap', limit: this.caps.perProcess };
    }
    const mine = this.perUser.get(userId) ?? 0;
    if (mine >= this.caps.perUser) {
      return { ok: false, reason: 'user_cap', limit: this.caps.perUser };
    }
    this.perUser.set(userId, mine + 1);
    this.transports[transport]++;
    this.count++;
    let held = true;
    return {
      ok: true,
      lease: {
        release: () => {
          if (!held) return;
          held = false;
          this.count--;
          this.transports[transport]--;
          const left = (this.perUser.get(userId) ?? 1) - 1;
          if (left === 0) this.perUser.delete(userId);
          else this.perUser.set(userId, left);
        },
      },
    };
  }

  get total(): number {
    return this.count;
  }

  get users(): number {
    return this.perUser.size;
  }

  countFor(userId: string): number {
    return this.perUser.get(userId) ?? 0;
  }

  byTransport(): Readonly<Record<Transport, number>> {
    return { ...this.transports };
  }
}
