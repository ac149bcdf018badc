import { describe, expect, it } from '@jest/globals';
import { LogMarks } from './log-marks.js';

const at = (log: string, offset: number) => ({ log, offset });

describe('LogMarks', () => {
  it('knows nothing of a log it has not seen', () => {
    expect(new LogMarks(100, 1000).seen(at('t:0', 0), 0)).toBeUndefined();
  });

  it('recognises a record at or below the last accepted offset of its own log', () => {
    const marks = new LogMarks(100, 1000);
    marks.accepted(at('t:0', 10), 'e-10', 0);
    marks.accepted(at('t:0', 11), 'e-11', 0);
    expect(marks.seen(at('t:0', 11), 0)).toBe('e-11');
    expect(marks.seen(at('t:0', 3), 0)).toBe('e-11');
    expect(marks.seen(at('t:0', 12), 0)).toBeUndefined();
    expect(marks.seen(at('t:1', 11), 0)).toBeUndefined();
  });

  it('takes a record more than the window below the mark as a log that started over', () => {
    const marks = new LogMarks(100, 1000);
    marks.accepted(at('t:0', 5000), 'old', 0);
    expect(marks.seen(at('t:0', 4901), 0)).toBe('old');
    expect(marks.seen(at('t:0', 4900), 0)).toBeUndefined();
    // The re-created log goes on from its own offsets, all of them new.
    marks.accepted(at('t:0', 0), 'new-0', 0);
    expect(marks.seen(at('t:0', 1), 0)).toBeUndefined();
    expect(marks.seen(at('t:0', 0), 0)).toBe('new-0');
  });

  it('forgets a mark that has not moved for the dedupe TTL', () => {
    const marks = new LogMarks(100, 1000);
    marks.accepted(at('t:0', 7), 'e-7', 0);
    expect(marks.seen(at('t:0', 7), 1000)).toBe('e-7');
    expect(marks.seen(at('t:0', 7), 1001)).toBeUndefined();
  });
});
