import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  Admission,
  ConnectionLease,
  ConnectionLimiter,
  LimiterCaps,
  Transport,
} from './connection-limiter.js';
import { LocalConnectionLimiter } from './connection-limiter.js';

/**
 * Drops expired leases, then adds this one if the user holds fewer than the cap. Scores are
 * expiry times in Redis time, so replicas' clocks do not matter.
 * KEYS: the user's lease set. ARGV: lease id, cap, lease ms.
 */
const ADMIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`;

/** KEYS: lease sets. ARGV: lease ms, then one lease id per key. Extends leases that still exist. */
const REFRESH_SCRIPT = `
local t = redis.call('TIME')
local expiry = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', expiry, ARGV[i + 1])
  redis.call('PEXPIRE', key, tonumber(ARGV[1]))
end
return 0
`;

export interface ClusterLeaseSettings {
  readonly prefix: string;
  readonly leaseTtlMs: number;
}

/**
 * The per-user cap across every replica: each connection holds a lease in a per-user Redis set,
 * refreshed every third of its TTL while the connection lives, so the leases of a replica that
 * dies expire on their own. The per-process cap and the counts stay local. If Redis cannot be
 * reached, admission falls back to the local caps rather than refusing everyone.
 */
export class RedisConnectionLimiter implements ConnectionLimiter {
  private readonly local: LocalConnectionLimiter;
  /** Lease id → user, for the refresh. */
  private readonly leases = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly caps: LimiterCaps,
    private readonly settings: ClusterLeaseSettings,
    private readonly onError: (err: unknown) => void,
  ) {
    this.local = new LocalConnectionLimiter(caps);
    this.timer = setInterval(() => void this.refresh(), settings.leaseTtlMs / 3);
    this.timer.unref();
  }

  async admit(userId: string, transport: Transport): Promise<Admission> {
    const admission = await this.local.admit(userId, transport);
    if (!admission.ok) return admission;
    const id = randomUUID();
    const key = this.keyFor(userId);
    let granted: boolean;
    try {
      granted =
        (await this.redis.eval(
          ADMIT_SCRIPT,
          1,
          key,
          id,
          this.caps.perUser,
          this.settings.leaseTtlMs,
        )) === 1;
    } catch (err) {
      this.onError(err);
      this.leases.set(id, userId);
      return { ok: true, lease: this.lease(id, key, admission.lease) };
    }
    if (!granted) {
      admission.lease.release();
      return { ok: false, reason: 'user_cap', limit: this.caps.perUser };
    }
    this.leases.set(id, userId);
    return { ok: true, lease: this.lease(id, key, admission.lease) };
  }

  get total(): number {
    return this.local.total;
  }

  countFor(userId: string): number {
    return this.local.countFor(userId);
  }

  byTransport(): Readonly<Record<Transport, number>> {
    return this.local.byTransport();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private lease(id: string, key: string, local: ConnectionLease): ConnectionLease {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        local.release();
        this.leases.delete(id);
        this.redis.zrem(key, id).catch(this.onError);
      },
    };
  }

  private async refresh(): Promise<void> {
    if (this.leases.size === 0) return;
    const ids = [...this.leases.keys()];
    const keys = ids.map((id) => this.keyFor(this.leases.get(id)!));
    try {
      // Chunked: a script's KEYS travel in one request.
      for (let i = 0; i < ids.length; i += 1000) {
        await this.redis.eval(
          REFRESH_SCRIPT,
          keys.slice(i, i + 1000).length,
          ...keys.slice(i, i + 1000),
          this.settings.leaseTtlMs,
          ...ids.slice(i, i + 1000),
        );
      }
    } catch (err) {
      this.onError(err);
    }
  }

  private keyFor(userId: string): string {
    return `${this.settings.prefix}l:${userId}`;
  }
}
