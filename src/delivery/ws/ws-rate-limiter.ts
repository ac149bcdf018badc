import type { Clock } from '../../common/clock.js';

export type RateVerdict = 'accept' | 'refuse' | 'close';

export interface RateLimits {
  /** Sustained frames per second. */
  readonly perSecond: number;
  /** Frames allowed at once after a quiet period (the bucket's size). */
  readonly burst: number;
}

/**
 * A token bucket per socket. A frame over the limit is refused (not processed). The client is
 * flooding persistently, and gets closed, once more than `burst` frames have been refused before
 * its allowance fully recovered: a client that pauses long enough to refill the bucket starts
 * with a clean slate, one that keeps sending faster than `perSecond` does not.
 */
export class WsRateLimiter {
  private tokens: number;
  private refused = 0;
  private last: number;

  constructor(
    private readonly limits: RateLimits,
    private readonly clock: Clock,
  ) {
    this.tokens = limits.burst;
    this.last = clock.now();
  }

  take(): RateVerdict {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.limits.burst,
      this.tokens + ((now - this.last) * this.limits.perSecond) / 1000,
    );
    this.last = now;
    if (this.tokens >= this.limits.burst) this.refused = 0;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'accept';
    }
    this.refused++;
    return this.refused > this.limits.burst ? 'close' : 'refuse';
  }

  /** True for the first refusal of a run: only that one is answered, so refusals cannot amplify. */
  get firstRefusal(): boolean {
    return this.refused === 1;
  }
}
