import { describe, expect, it } from '@jest/globals';
import { backoffMs } from './backoff.js';

describe('backoffMs', () => {
  it('doubles from the first delay up to the cap', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 10, 100].map((a) => backoffMs(a, 100, 1000, mid))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
  });

  it('spreads retries by ±20 % but never past the cap', () => {
    expect(backoffMs(0, 100, 1000, () => 0)).toBe(80);
    expect(backoffMs(0, 100, 1000, () => 0.999)).toBe(120);
    expect(backoffMs(10, 100, 1000, () => 0.999)).toBe(1000);
  });
});
