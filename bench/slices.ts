import { median, pairedRatios } from './report.js';

/** What one target did in one slice of an interleaved run. */
export interface Slice {
  /** Its place in the run, counting every target's slices. */
  readonly seq: number;
  /** Server CPU seconds over the slice, every thread. */
  readonly cpu: number;
  readonly delivered: number;
  /** Delivery latency quantiles of the slice, in milliseconds. */
  readonly p50: number;
  readonly p99: number;
}

/** A figure of one target against another's, over one interleaved run. */
export interface SliceRatio {
  /** Over the whole run: total against total (CPU per delivery), or the pooled quantiles' ratio. */
  readonly overall: number;
  /** Geometric mean of the pairs of ratios and its 95 % interval (mean of logs ± 2 standard errors). */
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly pairs: number;
  /** The median of the pairs in the first half of the run and in the second: does it drift? */
  readonly halves: readonly [number, number];
}

export type SliceFigure = 'cpuPer1k' | 'p50' | 'p99';

const sliceFigure = (s: Slice, figure: SliceFigure): number =>
  figure === 'cpuPer1k' ? (s.cpu / s.delivered) * 1000 : s[figure];

/**
 * `of` against `to`: each slice of `of` against the geometric mean of the two slices of `to` that
 * bracket it in the run (the one just before and the one just after), so a machine whose speed
 * drifts steadily over those few seconds cancels out; a slice with no `to` slice on one side is
 * left out. Neighbouring ratios share a bracketing slice, so they are combined in pairs
 * (pairedRatios) before the interval is taken. `overall` is the figure of the whole run; for a
 * quantile, `pooled` gives both targets' quantile over every slice.
 */
export function compareSlices(
  of: readonly Slice[],
  to: readonly Slice[],
  figure: SliceFigure,
  pooled?: { readonly of: number; readonly to: number },
): SliceRatio {
  const bracketed: number[] = [];
  for (const o of of) {
    const after = to.findIndex((t) => t.seq > o.seq);
    if (after < 1 || to[after - 1].seq > o.seq) continue;
    const around = Math.sqrt(sliceFigure(to[after - 1], figure) * sliceFigure(to[after], figure));
    bracketed.push(sliceFigure(o, figure) / around);
  }
  if (bracketed.length === 0) throw new Error('no slices to compare');
  const pairs = pairedRatios(bracketed).filter((r) => Number.isFinite(r) && r > 0);
  const logs = pairs.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd =
    logs.length > 1
      ? Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1))
      : 0;
  const margin = logs.length > 1 ? (2 * sd) / Math.sqrt(logs.length) : 0;
  const half = Math.max(1, Math.ceil(pairs.length / 2));
  const total = (xs: readonly Slice[], key: 'cpu' | 'delivered') =>
    xs.reduce((a, s) => a + s[key], 0);
  const overall =
    figure === 'cpuPer1k'
      ? total(of, 'cpu') / total(of, 'delivered') / (total(to, 'cpu') / total(to, 'delivered'))
      : pooled
        ? pooled.of / pooled.to
        : median(bracketed);
  return {
    overall,
    mean: Math.exp(mean),
    low: Math.exp(mean - margin),
    high: Math.exp(mean + margin),
    pairs: pairs.length,
    // One pair is both halves.
    halves: [median(pairs.slice(0, half)), median(pairs.length > 1 ? pairs.slice(half) : pairs)],
  };
}
