import { describe, expect, it } from '@jest/globals';
import { pairedRatios, renderMarkdown } from './report.js';
import type { Row } from './scenarios.js';

describe('pairedRatios', () => {
  it('cancels a steady drift: the target run second in each round reads 1.2x, either way round', () => {
    // Round 0: A then B (B 1.2x A); round 1: B then A (B 1/1.2 of A).
    expect(pairedRatios([1.2, 1 / 1.2, 1.2, 1 / 1.2])).toEqual(
      [1, 1].map(() => expect.closeTo(1, 12)),
    );
  });

  it('pairs an odd last round with the one before it', () => {
    const r = pairedRatios([1.2, 1 / 1.2, 1.44, 1 / 1.44, 1.44]);
    expect(r).toHaveLength(3);
    expect(r[2]).toBeCloseTo(1, 12);
  });

  it('leaves out a pair with a failed round, and falls back to the single rounds', () => {
    expect(pairedRatios([2, 8, undefined, 3])).toEqual([4]);
    expect(pairedRatios([undefined, 3])).toEqual([3]);
    expect(pairedRatios([1.5])).toEqual([1.5]);
  });
});

describe('renderMarkdown', () => {
  const row = (target: Row['target'], round: number, p99: number): Row => ({
    scenario: 'S3 latency',
    transport: 'sse',
    target,
    label: '2000/s, kafka',
    p99,
    round,
  });

  it('shows the median over pairs of rounds, with the range of the single rounds', () => {
    // The same build twice on a machine slowing down run by run: 1, 2 | 3, 4 | 5, 6.
    const rows = [
      row('baseline', 0, 1),
      row('service', 0, 2),
      row('service', 1, 3),
      row('baseline', 1, 4),
      row('baseline', 2, 5),
      row('service', 2, 6),
    ];
    const md = renderMarkdown(rows);
    const ratioLine = md.split('\n').find((l) => l.startsWith('| S3 latency') && l.includes('×'))!;
    // Single rounds 2, 0.75, 1.2, whose median says 1.2x; pairs sqrt(2 * 0.75) and sqrt(0.75 * 1.2).
    const pairs = (Math.sqrt(2 * 0.75) + Math.sqrt(0.75 * 1.2)) / 2;
    expect(ratioLine).toContain(`| ${pairs.toFixed(2)}× (0.75–2.00) |`);
  });
});

describe('the routing table', () => {
  const row = (scenario: string, label: string, round: number, perSec: number): Row => ({
    scenario,
    transport: 'sse',
    target: 'service',
    label,
    perSec,
    round,
  });

  it("divides each round's S4 by the same server's S2 over HTTP of that round, not over Kafka", () => {
    const rows = [
      row('S2 unicast', '1000 users, http', 0, 100_000),
      row('S2 unicast', '1000 users, kafka', 0, 50_000),
      row('S4 routing', '1000 users + 18000 idle, http', 0, 90_000),
      row('S2 unicast', '1000 users, http', 1, 80_000),
      row('S4 routing', '1000 users + 18000 idle, http', 1, 80_000),
    ];
    const md = renderMarkdown(rows);
    // Rounds 0.9 and 1.0: one pair, sqrt(0.9).
    expect(md).toContain(`| sse | service | ${Math.sqrt(0.9).toFixed(2)}× (0.90–1.00) |`);
  });

  it('is left out of a run without S4', () => {
    const md = renderMarkdown([row('S2 unicast', '1000 users, http', 0, 1)]);
    expect(md).not.toContain('S4 ÷ S2');
  });
});
