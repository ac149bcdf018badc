import { describe, expect, it } from '@jest/globals';
import { RecentIds } from './recent-ids.js';

describe('RecentIds', () => {
  it('accepts an id once', () => {
    const ids = new RecentIds(4);
    expect(ids.add('a-1')).toBe(true);
    expect(ids.add('a-2')).toBe(true);
    expect(ids.add('a-1')).toBe(false);
  });

  it('forgets the oldest beyond its capacity', () => {
    const ids = new RecentIds(2);
    ids.add('a-1');
    ids.add('a-2');
    ids.add('a-3');
    expect(ids.add('a-2')).toBe(false);
    expect(ids.add('a-1')).toBe(true);
  });
});
