import { describe, expect, it } from '@jest/globals';
import { Histogram, Registry } from 'prom-client';
import { FixedLabelHistogram } from './fixed-label-histogram.js';

describe('FixedLabelHistogram', () => {
  it("exposes exactly what prom-client's own histogram does for the same observations", async () => {
    const buckets = [0.005, 0.1, 1];
    const mine = new Registry();
    const theirs = new Registry();
    const fast = new FixedLabelHistogram(
      'lat_seconds',
      'help',
      'transport',
      ['sse', 'ws'],
      buckets,
      mine,
    );
    const reference = new Histogram({
      name: 'lat_seconds',
      help: 'help',
      labelNames: ['transport'],
      buckets,
      registers: [theirs],
    });
    reference.zero({ transport: 'sse' });
    reference.zero({ transport: 'ws' });
    // Boundaries belong to their bucket (le is "less or equal"); 7 is above every bound.
    for (const [t, v] of [
      ['sse', 0],
      ['sse', 0.005],
      ['sse', 0.0051],
      ['ws', 1],
      ['ws', 7],
      ['sse', 0.1],
    ] as const) {
      fast.observe(t, v);
      reference.observe({ transport: t }, v);
    }
    expect(await mine.metrics()).toBe(await theirs.metrics());

    fast.reset();
    reference.reset();
    reference.zero({ transport: 'sse' });
    reference.zero({ transport: 'ws' });
    expect(await mine.metrics()).toBe(await theirs.metrics());
  });
});
