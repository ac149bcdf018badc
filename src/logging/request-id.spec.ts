import { describe, expect, it } from '@jest/globals';
import { requestIdSource } from './request-id.js';

describe('requestIdSource', () => {
  it('numbers the ids of one process after a prefix of its own', () => {
    const next = requestIdSource('p');
    expect([next(), next(), next()]).toEqual(['p-1', 'p-2', 'p-3']);
  });

  it('draws a different URL-safe prefix for each process', () => {
    const a = requestIdSource()();
    const b = requestIdSource()();
    expect(a).toMatch(/^[\w-]{12}-1$/);
    expect(a.slice(0, 12)).not.toBe(b.slice(0, 12));
  });
});
