import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const options = { initialMs: 500, maxMs: 30_000 };

  it('doubles per attempt, between half and all of the ceiling', () => {
    expect(backoffDelay(0, options, () => 0)).toBe(250);
    expect(backoffDelay(0, options, () => 1)).toBe(500);
    expect(backoffDelay(3, options, () => 0)).toBe(2000);
    expect(backoffDelay(3, options, () => 1)).toBe(4000);
  });

  it('never exceeds the maximum, however many attempts', () => {
    expect(backoffDelay(10, options, () => 1)).toBe(30_000);
    expect(backoffDelay(10_000, options, () => 1)).toBe(30_000);
    expect(backoffDelay(10_000, options, () => 0)).toBe(15_000);
  });
});
