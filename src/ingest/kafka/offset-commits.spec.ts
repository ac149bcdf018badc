import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { OffsetCommits, type PartitionOffset } from './offset-commits.js';

describe('OffsetCommits', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  const make = () => {
    jest.useFakeTimers();
    let now = 0;
    const commits: PartitionOffset[][] = [];
    const errors: Error[] = [];
    let failNext = false;
    const offsets = new OffsetCommits(
      async (o) => {
        if (failNext) {
          failNext = false;
          throw new Error('rebalancing');
        }
        commits.push(o);
      },
      1000,
      (e) => errors.push(e),
      () => now,
    );
    return {
      offsets,
      commits,
      errors,
      advance: (ms: number) => {
        now += ms;
      },
      failOnce: () => {
        failNext = true;
      },
    };
  };

  it('commits the next offset of each partition at most once per interval while records flow', async () => {
    const { offsets, commits, advance } = make();
    offsets.processed('t', 0, '9');
    offsets.processed('t', 1, '4');
    advance(500);
    offsets.processed('t', 0, '19');
    expect(commits).toEqual([]);
    advance(500);
    offsets.processed('t', 0, '29');
    await Promise.resolve();
    expect(commits).toEqual([
      [
        { topic: 't', partition: 0, offset: '30' },
        { topic: 't', partition: 1, offset: '5' },
      ],
    ]);
    expect(offsets.size).toBe(0);
  });

  it('commits what is left once records stop coming', async () => {
    const { offsets, commits } = make();
    offsets.processed('t', 0, '9007199254740993');
    expect(commits).toEqual([]);
    await jest.advanceTimersByTimeAsync(1000);
    // Offsets are int64: no precision lost past 2^53.
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '9007199254740994' }]]);
  });

  it('keeps the offsets of a failed commit for the next one, unless newer ones came', async () => {
    const { offsets, commits, failOnce } = make();
    offsets.processed('t', 0, '9');
    offsets.processed('t', 1, '9');
    failOnce();
    await expect(offsets.flush()).rejects.toThrow('rebalancing');
    offsets.processed('t', 0, '10');
    await offsets.flush();
    expect(commits).toEqual([
      [
        { topic: 't', partition: 0, offset: '11' },
        { topic: 't', partition: 1, offset: '10' },
      ],
    ]);
  });

  it('forgets what is pending after a rejoin, timer included', async () => {
    const { offsets, commits } = make();
    offsets.processed('t', 0, '9');
    offsets.forget();
    await jest.advanceTimersByTimeAsync(2000);
    expect(commits).toEqual([]);
  });
});
