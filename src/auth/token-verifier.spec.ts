import { describe, expect, it, jest } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it('refuses a subject that is not a string (jose requires `sub`, not its type)', async () => {
    const t = await new SignJWT({ sub: 42 } as unknown as Record<string, unknown>)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('iss')
      .setAudience('aud')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    await expect(verifier.verify(t)).rejects.toThrow(/not a valid user id/);
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
      expect(own.cached(t)).toBeUndefined();
      const first = await own.verify(t);
      expect(await own.verify(t)).toBe(first);
      // Without a promise, for the publish route's body to be read at once.
      expect(own.cached(t)).toBe(first);
      // Past REVERIFY_MS it is checked again (a new principal), still valid.
      jest.setSystemTime(Date.now() + 61_000);
      expect(own.cached(t)).toBeUndefined();
      const second = await own.verify(t);
      expect(second).not.toBe(first);
      expect(second.userId).toBe('carol');
      // Cached 60 s more, but the token expires first: it is refused at its expiry.
      jest.setSystemTime(Date.now() + 30_000);
      expect(own.cached(t)).toBeUndefined();
      await expect(own.verify(t)).rejects.toThrow(/token expired/);
      // A failed verification is not remembered.
      await expect(own.verify(t.slice(0, -2))).rejects.toThrow(InvalidTokenError);
      await expect(own.verify(t.slice(0, -2))).rejects.toThrow(InvalidTokenError);
    } finally {
      jest.useRealTimers();
    }
  });

  it('with a JWKS, verifies ES256 tokens by key id, and refuses other keys and expired tokens', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }],
    });
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      const own = new TokenVerifier({ jwksUrl: url, issuer: 'iss' });
      const sign = (key: CryptoKey, exp: string | number) =>
        new SignJWT({ scope: 'notifications:publish' })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setSubject('dave')
          .setIssuer('iss')
          .setExpirationTime(exp)
          .sign(key);
      const p = await own.verify(await sign(privateKey, '1h'));
      expect(p.userId).toBe('dave');
      expect([...p.scopes]).toEqual(['notifications:publish']);
      await expect(own.verify(await sign(other.privateKey, '1h'))).rejects.toThrow(
        /invalid token \(ERR_JWS_SIGNATURE_VERIFICATION_FAILED\)/,
      );
      await expect(
        own.verify(await sign(privateKey, Math.floor(Date.now() / 1000) - 5)),
      ).rejects.toThrow(/token expired/);
    } finally {
      server.close();
    }
  });
});
