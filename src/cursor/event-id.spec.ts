import { describe, expect, it } from '@jest/globals';
import { formatEventId, newEpoch, parseEventId } from './event-id.js';

describe('event ids', () => {
  it('round-trips epoch and sequence', () => {
    const epoch = newEpoch();
    for (const seq of [0, 1, 35, 36, 123_456_789, Number.MAX_SAFE_INTEGER]) {
      expect(parseEventId(formatEventId(epoch, seq))).toEqual({ epoch, seq });
    }
  });

  it('orders by sequence within an epoch', () => {
    const ids = [1, 2, 10, 100].map((s) => parseEventId(formatEventId('e1', s))!.seq);
    expect(ids).toEqual([1, 2, 10, 100]);
  });

  it.each([
    '',
    'abc',
    '-1',
    'e1-',
    'E1-1',
    'e1-1\n',
    'e1-1\r\nevent: x',
    'a'.repeat(17) + '-1',
    'e1-zzzzzzzzzzzz',
  ])('rejects %j', (id) => {
    expect(parseEventId(id)).toBeNull();
  });

  it('makes distinct epochs', () => {
    const seen = new Set(Array.from({ length: 100 }, () => newEpoch()));
    expect(seen.size).toBeGreaterThan(95);
  });
});
