import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../common/clock.js';
import { WsRateLimiter } from './ws-rate-limiter.js';

describe('WsRateLimiter', () => {
  const make = () => {
    const clock = new ManualClock();
    return { clock, limiter: new WsRateLimiter({ perSecond: 10, burst: 5 }, clock) };
  };

  it('accepts a burst, then refuses', () => {
    const { limiter } = make();
    for (let i = 0; i < 5; i++) expect(limiter.take()).toBe('accept');
    expect(limiter.take()).toBe('refuse');
    expect(limiter.firstRefusal).toBe(true);
    expect(limiter.take()).toBe('refuse');
    expect(limiter.firstRefusal).toBe(false);
  });

  it('refills at the sustained rate', () => {
    const { clock, limiter } = make();
    for (let i = 0; i < 5; i++) limiter.take();
    expect(limiter.take()).toBe('refuse');
    clock.advance(100);
    expect(limiter.take()).toBe('accept');
    expect(limiter.take()).toBe('refuse');
  });

  it('closes a client that keeps flooding', () => {
    const { limiter } = make();
    const verdicts = Array.from({ length: 11 }, () => limiter.take());
    expect(verdicts.slice(0, 5)).toEqual(Array(5).fill('accept'));
    expect(verdicts.slice(5, 10)).toEqual(Array(5).fill('refuse'));
    expect(verdicts[10]).toBe('close');
  });

  it('closes a client sending steadily faster than the rate', () => {
    const { clock, limiter } = make();
    const seen = new Set<string>();
    for (let i = 0; i < 200 && !seen.has('close'); i++) {
      clock.advance(50); // 20 frames/s against 10 allowed
      seen.add(limiter.take());
    }
    expect(seen).toEqual(new Set(['accept', 'refuse', 'close']));
  });

  it('forgives refusals once the allowance has fully recovered', () => {
    const { clock, limiter } = make();
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 9; i++) expect(limiter.take()).not.toBe('close');
      clock.advance(1000);
    }
  });
});
