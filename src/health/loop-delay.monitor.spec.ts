import { describe, expect, it } from '@jest/globals';
import { LoopDelayMonitor } from './loop-delay.monitor.js';

describe('LoopDelayMonitor', () => {
  const make = () => {
    let t = 0;
    const m = new LoopDelayMonitor(500, 2000, () => t);
    return { m, at: (ms: number) => (t = ms) };
  };

  it('reports how late the timer fired, and forgets a stall once it leaves the window', () => {
    const { m, at } = make();
    at(500);
    m.tick();
    expect(m.worstMs()).toBe(0);
    at(1000 + 1200); // fired 1200 ms late
    m.tick();
    expect(m.worstMs()).toBe(1200);
    for (let i = 1; i <= 3; i++) {
      at(2200 + i * 500);
      m.tick();
      expect(m.worstMs()).toBe(1200);
    }
    at(2200 + 4 * 500);
    m.tick();
    expect(m.worstMs()).toBe(0);
  });

  it('counts a stall still under way since the last tick', () => {
    const { m, at } = make();
    at(500);
    m.tick();
    at(500 + 500 + 3000);
    expect(m.worstMs()).toBe(3000);
  });
});
