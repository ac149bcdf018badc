import { performance } from 'node:perf_hooks';

/**
 * Measures how late a repeating timer fires: the event loop's recent worst stall. A loop that is
 * blocked outright never answers the probe at all; this also catches one that answers between
 * long stalls. Recent means the last `windowMs`, so a single recovered stall ages out.
 */
export class LoopDelayMonitor {
  private readonly samples: number[];
  private next = 0;
  private last: number;
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly intervalMs = 100,
    windowMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.samples = new Array<number>(Math.max(1, Math.ceil(windowMs / intervalMs))).fill(0);
    this.last = now();
  }

  start(): void {
    this.last = this.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  tick(): void {
    const t = this.now();
    this.samples[this.next] = Math.max(0, t - this.last - this.intervalMs);
    this.next = (this.next + 1) % this.samples.length;
    this.last = t;
  }

  /** Worst delay in the window, counting a stall still under way since the last tick. */
  worstMs(): number {
    const ongoing = Math.max(0, this.now() - this.last - this.intervalMs);
    return Math.max(ongoing, ...this.samples);
  }
}
