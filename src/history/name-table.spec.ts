import { describe, expect, it } from '@jest/globals';
import { NameTable } from './name-table.js';

describe('NameTable', () => {
  it('gives back the first copy of a name it has seen', () => {
    const names = new NameTable();
    const first = names.intern(['chat', 'room'].join('.'));
    const again = ['chat', 'room'].join('.');
    expect(names.intern(again)).toBe(first);
    expect(names.intern('other')).toBe('other');
  });

  it('keeps at most `max` names and returns the rest as they came', () => {
    const names = new NameTable(2);
    names.intern('a');
    names.intern('b');
    const c = names.intern('c');
    expect(c).toBe('c');
    // Not remembered: a later equal string is not replaced by the earlier one.
    expect((names as unknown as { names: Map<string, string> }).names.has('c')).toBe(false);
  });
});
