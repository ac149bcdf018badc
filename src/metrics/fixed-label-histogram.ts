import type { Metric, Registry } from 'prom-client';

interface Series {
  /** Per bucket (not cumulative); the last slot holds values above the largest bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram with one label whose values are known up front, for the per-delivery hot path.
 * prom-client's histogram hashes and validates its labels on every observation, even through a
 * bound child; this one indexes a fixed array and builds prom-client's metric shape only when
 * scraped. It registers itself like any prom-client metric.
 */
export class FixedLabelHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<L, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    labelValues: readonly L[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    for (const v of labelValues) {
      this.series.set(v, { counts: new Float64Array(buckets.length + 1), sum: 0, count: 0 });
    }
    registry.registerMetric(this as unknown as Metric);
  }

  /** A label value not given up front is ignored: the series are fixed. */
  observe(label: L, value: number): void {
    const s = this.series.get(label);
    if (!s) return;
    const b = this.buckets;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** The shape prom-client's own histogram returns: cumulative `_bucket`s, `_sum`, `_count`. */
  async get() {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] =
      [];
    for (const [label, s] of this.series) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i];
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le, [this.labelName]: label },
          value: cumulative,
        });
      });
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { le: '+Inf', [this.labelName]: label },
        value: s.count,
      });
      values.push({
        metricName: `${this.name}_sum`,
        labels: { [this.labelName]: label },
        value: s.sum,
      });
      values.push({
        metricName: `${this.name}_count`,
        labels: { [this.labelName]: label },
        value: s.count,
      });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
