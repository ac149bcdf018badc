import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { HeartbeatWheel } from './heartbeat-wheel.js';

describe('HeartbeatWheel', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('beats every member once per period, each tick visiting one bucket', () => {
    const beats: string[] = [];
    const wheel = new HeartbeatWheel<string>(1000, (m) => beats.push(m), 4);
    wheel.add('a');
    jest.advanceTimersByTime(250);
    wheel.add('b');
    // a's first beat is one period after it joined (to within one tick), then every period.
    jest.advanceTimersByTime(749);
    expect(beats).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(beats).toEqual(['a']);
    jest.advanceTimersByTime(250);
    expect(beats).toEqual(['a', 'b']);
    jest.advanceTimersByTime(2000);
    expect(beats).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('spreads many members over the buckets instead of beating them all at once', () => {
    const perTick: number[] = [];
    let count = 0;
    const wheel = new HeartbeatWheel<number>(1000, () => count++, 10);
    for (let i = 0; i < 1000; i++) {
      wheel.add(i);
      if (i % 100 === 99) jest.advanceTimersByTime(100);
    }
    for (let t = 0; t < 10; t++) {
      count = 0;
      jest.advanceTimersByTime(100);
      perTick.push(count);
    }
    expect(perTick).toEqual(Array(10).fill(100));
  });

  it('stops beating a removed member and stops its timer when empty', () => {
    const beats: string[] = [];
    const wheel = new HeartbeatWheel<string>(100, (m) => beats.push(m), 2);
    wheel.add('a');
    wheel.add('a');
    wheel.add('b');
    expect(wheel.size).toBe(2);
    jest.advanceTimersByTime(100);
    wheel.remove('a');
    jest.advanceTimersByTime(100);
    expect(beats).toEqual(['a', 'b', 'b']);
    wheel.remove('b');
    wheel.remove('b');
    expect(wheel.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps beating the others when one member throws', () => {
    const beats: string[] = [];
    const wheel = new HeartbeatWheel<string>(100, (m) => {
      if (m === 'bad') throw new Error('socket gone');
      beats.push(m);
    });
    wheel.add('bad');
    wheel.add('good');
    jest.advanceTimersByTime(100);
    expect(beats).toEqual(['good']);
    expect([...wheel.members()]).toEqual(['bad', 'good']);
  });
});
