import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { InvalidTokenError, signToken, TokenVerifier } from './token-verifier.js';

const secret = 's'.repeat(40);
const verifier = new TokenVerifier({ secret, issuer: 'iss', audience: 'aud' });

describe('TokenVerifier', () => {
  it('accepts a valid token and reads sub and scopes', async () => {
    const t = await signToken(secret, {
      sub: 'alice',
      scope: 'a notifications:publish',
      issuer: 'iss',
      audience: 'aud',
    });
    const p = await verifier.verify(t);
    expect(p.userId).toBe('alice');
    expect([...p.scopes]).toEqual(['a', 'notifications:publish']);
  });

  it.each([
    ['wrong issuer', { sub: 'a', issuer: 'other', audience: 'aud' }, secret],
    ['wrong audience', { sub: 'a', issuer: 'iss', audience: 'x' }, secret],
    ['wrong key', { sub: 'a', issuer: 'iss', audience: 'aud' }, 'k'.repeat(40)],
    ['expired', { sub: 'a', issuer: 'iss', audience: 'aud', ttlSeconds: -10 }, secret],
    ['bad subject', { sub: 'a\nb', issuer: 'iss', audience: 'aud' }, secret],
  ])('rejects %s', async (_name, claims, key) => {
    await expect(verifier.verify(await signToken(key, claims))).rejects.toThrow(InvalidTokenError);
  });

  it('requires exp', async () => {
    const t = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setIssuer('iss')
      .setAudience('aud')
      .sign(new TextEncoder().encode(secret));
    await expect(verifier.verify(t)).rejects.toThrow(/invalid token/);
  });

  it('refuses alg none and oversized tokens', async () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"a","exp":9999999999}').toString('base64url')}.`;
    await expect(verifier.verify(none)).rejects.toThrow(InvalidTokenError);
    await expect(verifier.verify('x'.repeat(10_000))).rejects.toThrow(/too long/);
  });
});
