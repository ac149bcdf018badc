/**
 * Latency histogram, mergeable across processes: 10 µs buckets up to 1 s, then 1 ms buckets up to
 * 120 s. Fixed memory, so recording a million deliveries costs no allocation and no sort.
 */
const FINE = 100_000;
const COARSE = 120_000;

export class Histogram {
  readonly counts: Uint32Array;
  max = 0;
  total = 0;

  constructor(counts?: ArrayLike<number>, max = 0) {
    this.counts = new Uint32Array(FINE + COARSE);
    if (counts) {
      this.counts.set(counts);
      for (let i = 0; i < this.counts.length; i++) this.total += this.counts[i];
    }
    this.max = max;
  }

  record(ms: number): void {
    if (ms < 0) ms = 0;
    if (ms > this.max) this.max = ms;
    const i = ms < 1000 ? Math.floor(ms * 100) : FINE + Math.min(COARSE - 1, Math.floor(ms - 1000));
    this.counts[i]++;
    this.total++;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.total += other.total;
    this.max = Math.max(this.max, other.max);
  }

  /** Upper edge of the bucket holding quantile `q` (0..1), in milliseconds. */
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, i < FINE ? (i + 1) / 100 : 1000 + (i - FINE) + 1);
    }
    return this.max;
  }

  /** The share (0..1) of values recorded at or above `ms`, to the bucket. */
  shareFrom(ms: number): number {
    if (this.total === 0) return NaN;
    const edge = ms < 1000 ? Math.floor(ms * 100) : FINE + Math.floor(ms - 1000);
    let below = 0;
    for (let i = 0; i < edge; i++) below += this.counts[i];
    return 1 - below / this.total;
  }

  /** Sparse form for IPC: [index, count] pairs. */
  toSparse(): { pairs: number[]; max: number } {
    const pairs: number[] = [];
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]) pairs.push(i, this.counts[i]);
    return { pairs, max: this.max };
  }

  static fromSparse(s: { pairs: number[]; max: number }): Histogram {
    const h = new Histogram(undefined, s.max);
    for (let k = 0; k < s.pairs.length; k += 2) {
      h.counts[s.pairs[k]] += s.pairs[k + 1];
      h.total += s.pairs[k + 1];
    }
    return h;
  }
}

/** Send time shared by publisher and clients: high resolution and comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
