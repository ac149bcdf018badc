import { describe, expect, it } from '@jest/globals';
import { compareSlices, type Slice } from './slices.js';

const slice = (seq: number, cpu: number, p99 = 1, delivered = 2000): Slice => ({
  seq,
  cpu,
  delivered,
  p50: p99 / 2,
  p99,
});

/** Two targets in strict turns, A first: `cost(k)` is what the k-th slice of the run costs. */
function alternating(slices: number, cost: (k: number) => number, bFactor = 1) {
  const a: Slice[] = [];
  const b: Slice[] = [];
  for (let k = 0; k < slices; k++) {
    if (k % 2) b.push(slice(k, cost(k) * bFactor));
    else a.push(slice(k, cost(k)));
  }
  return { a, b };
}

describe('compareSlices', () => {
  it('cancels a machine slowing down slice by slice: the same server reads 1x against itself', () => {
    const { a, b } = alternating(16, (k) => 0.05 * 1.02 ** k);
    const r = compareSlices(b, a, 'cpuPer1k');
    expect(r.mean).toBeCloseTo(1, 10);
    expect(r.low).toBeCloseTo(1, 10);
    // B's last slice has A before it only: left out, so 7 ratios make 4 pairs.
    expect(r.pairs).toBe(4);
    // The totals do not cancel it: B ran each of its slices one slice after A's.
    expect(r.overall).toBeCloseTo(1.02, 10);
  });

  it('reads a server 20 % dearer per delivery as 1.2x, with no spread when every slice says so', () => {
    const { a, b } = alternating(12, (k) => [0.05, 0.06, 0.07][k % 3], 1.2);
    const { a: a2, b: b2 } = alternating(12, () => 0.05, 1.2);
    expect(compareSlices(b2, a2, 'cpuPer1k').mean).toBeCloseTo(1.2, 10);
    const r = compareSlices(b, a, 'cpuPer1k');
    expect(r.halves).toHaveLength(2);
    expect(r.low).toBeLessThan(r.mean);
    expect(r.high).toBeGreaterThan(r.mean);
  });

  it('counts CPU over deliveries overall, not the mean of the slices', () => {
    const to = [slice(0, 0.05), slice(2, 0.05), slice(4, 0.05), slice(6, 0.05)];
    const of = [slice(1, 0.06), slice(3, 0.06), slice(5, 0.04, 1, 1000), slice(7, 0.04, 1, 1000)];
    // (0.2 CPU s / 6 000 deliveries) against (0.2 / 8 000).
    expect(compareSlices(of, to, 'cpuPer1k').overall).toBeCloseTo(8000 / 6000, 10);
  });

  it('takes a quantile overall from the pooled figures when given, and refuses nothing to compare', () => {
    const to = [slice(0, 0.05, 2), slice(2, 0.05, 2)];
    const of = [slice(1, 0.05, 3), slice(3, 0.05, 3)];
    expect(compareSlices(of, to, 'p99', { of: 4, to: 2 }).overall).toBe(2);
    expect(compareSlices(of, to, 'p99').mean).toBeCloseTo(1.5, 10);
    expect(() => compareSlices([slice(5, 1)], to, 'p99')).toThrow('no slices');
  });
});
