import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { extractToken, redactUrl } from './token-extractor.js';

const req = (url: string, headers: Record<string, string> = {}) =>
  ({ url, headers }) as unknown as IncomingMessage;

describe('extractToken', () => {
  it('prefers the Authorization header, then the cookie, then the query', () => {
    expect(
      extractToken(
        req('/?access_token=q', { authorization: 'Bearer h', cookie: 'access_token=c' }),
      ),
    ).toBe('h');
    expect(extractToken(req('/?access_token=q', { cookie: 'x=1; access_token=c%2E1' }))).toBe(
      'c.1',
    );
    expect(extractToken(req('/s?a=1&access_token=q'))).toBe('q');
    expect(extractToken(req('/s', { authorization: 'Basic abc' }))).toBeUndefined();
  });
});

describe('redactUrl', () => {
  it('removes tokens from query strings', () => {
    expect(redactUrl('/v1/ws?access_token=abc.def&channels=a')).toBe(
      '/v1/ws?access_token=[REDACTED]&channels=a',
    );
    expect(redactUrl('/x?a=1&TOKEN=zz')).toBe('/x?a=1&TOKEN=[REDACTED]');
    expect(redactUrl('/x?channels=a')).toBe('/x?channels=a');
  });
});
