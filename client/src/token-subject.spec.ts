import { describe, expect, it } from '@jest/globals';
import { tokenSubject } from './token-subject.js';

const b64url = (o: object) =>
  btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe('tokenSubject', () => {
  it('reads the sub claim of a JWT', () => {
    const token = `${b64url({ alg: 'HS256' })}.${b64url({ sub: 'alice@x', exp: 1 })}.sig`;
    expect(tokenSubject(token)).toBe('alice@x');
  });

  it('is null for anything else', () => {
    expect(tokenSubject('opaque')).toBeNull();
    expect(tokenSubject('a.%%%.c')).toBeNull();
    expect(tokenSubject(`x.${b64url({ sub: 42 })}.y`)).toBeNull();
  });
});
