import { describe, expect, it, jest } from '@jest/globals';
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

  it('answers a token it verified lately from memory, but never past its expiry', async () => {
    jest.useFakeTimers({
      now: Date.now(),
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
    });
    try {
      const own = new TokenVerifier({ secret });
      const t = await signToken(secret, { sub: 'carol', ttlSeconds: 90 });
      const first = await own.verify(t);
      expect(await own.verify(t)).toBe(first);
      // Past REVERIFY_MS it is checked again (a new principal), still valid.
      jest.setSystemTime(Date.now() + 61_000);
      const second = await own.verify(t);
      expect(second).not.toBe(first);
      expect(second.userId).toBe('carol');
      // Cached 60 s more, but the token expires first: it is refused at its expiry.
      jest.setSystemTime(Date.now() + 30_000);
      await expect(own.verify(t)).rejects.toThrow(/token expired/);
      // A failed verification is not remembered.
      await expect(own.verify(t.slice(0, -2))).rejects.toThrow(InvalidTokenError);
      await expect(own.verify(t.slice(0, -2))).rejects.toThrow(InvalidTokenError);
    } finally {
      jest.useRealTimers();
    }
  });
});
