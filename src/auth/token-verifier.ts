import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { USER_ID_PATTERN } from '../notifications/notification.codec.js';
import { Hs256Error, verifyHs256, type VerifiedClaims } from './hs256.js';

const NO_SCOPES: ReadonlySet<string> = new Set();
const VERIFIED_CACHE_SIZE = 1024;
/** A key withdrawn from the JWKS stops being honoured for cached tokens within this time. */
const REVERIFY_MS = 60_000;

export const PUBLISH_SCOPE = 'notifications:publish';

export interface Principal {
  readonly userId: string;
  readonly scopes: ReadonlySet<string>;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

export interface TokenSettings {
  readonly secret?: string;
  readonly jwksUrl?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

export class InvalidTokenError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

/** Upper bound on a token's length: every input size is bounded, headers and query included. */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * Verifies access tokens: HS256 with a shared secret (node:crypto, `hs256.ts`), or RS256/ES256
 * from a JWKS (jose).
 */
export class TokenVerifier {
  private readonly secret?: KeyObject;
  private readonly jwks?: JWTVerifyGetKey;
  /**
   * Tokens verified lately. A publisher sends the same token with every request, and a client
   * reconnects with the one it had: the signature check (and, with a JWKS, the key lookup) is
   * the dearest part of a small request. An entry is kept for at most REVERIFY_MS and never past
   * the token's expiry; insertion order is age, so the oldest goes first when it is full.
   */
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(private readonly settings: TokenSettings) {
    if (settings.jwksUrl) {
      this.jwks = createRemoteJWKSet(new URL(settings.jwksUrl));
    } else if (settings.secret) {
      this.secret = createSecretKey(new TextEncoder().encode(settings.secret));
    } else {
      throw new Error('TokenVerifier needs a secret or a JWKS URL');
    }
  }

  async verify(token: string): Promise<Principal> {
    if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('token too long');
    const hit = this.cached(token);
    if (hit) return hit;
    const now = Date.now();
    const principal = await this.verifyAnew(token);
    this.verified.delete(token);
    this.verified.set(token, {
      principal,
      until: Math.min(principal.expiresAt, now + REVERIFY_MS),
    });
    if (this.verified.size > VERIFIED_CACHE_SIZE)
      this.verified.delete(this.verified.keys().next().value!);
    return principal;
  }

  /**
   * The principal of a token verified lately and still honoured, with no promise in between: a
   * request that needs nothing else before its body can start reading it at once.
   */
  cached(token: string): Principal | undefined {
    const hit = this.verified.get(token);
    return hit && Date.now() < hit.until ? hit.principal : undefined;
  }

  private async verifyAnew(token: string): Promise<Principal> {
    const payload = this.secret
      ? this.verifyWithSecret(token, this.secret)
      : await this.verifyWithJwks(token, this.jwks!);
    // Checked as a string: jose requires `sub` but not its type, and a number would pass the
    // pattern as its digits and name a user no string id matches.
    const sub = payload.sub;
    if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub))
      throw new InvalidTokenError('token subject is not a valid user id');
    const scope = typeof payload.scope === 'string' ? payload.scope.trim() : '';
    return {
      userId: sub,
      // A principal lives as long as its connection, and most carry no scope: they share one set.
      scopes: scope ? new Set(scope.split(' ').filter(Boolean)) : NO_SCOPES,
      expiresAt: payload.exp * 1000,
    };
  }

  private verifyWithSecret(token: string, key: KeyObject): VerifiedClaims {
    try {
      return verifyHs256(token, key, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        now: Math.floor(Date.now() / 1000),
      });
    } catch (err) {
      if (!(err instanceof Hs256Error)) throw err;
      if (err.code === 'ERR_JWT_EXPIRED') throw new InvalidTokenError('token expired');
      throw new InvalidTokenError(`invalid token (${err.code})`);
    }
  }

  private async verifyWithJwks(token: string, jwks: JWTVerifyGetKey): Promise<VerifiedClaims> {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: ['RS256', 'ES256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp', 'sub'],
      });
      return payload as VerifiedClaims;
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new InvalidTokenError('token expired');
      if (err instanceof errors.JOSEError)
        throw new InvalidTokenError(`invalid token (${err.code})`);
      throw err;
    }
  }
}

/** Mints HS256 tokens: the dev profile's printed tokens and the tests use it. */
export async function signToken(
  secret: string,
  claims: { sub: string; scope?: string; ttlSeconds?: number; issuer?: string; audience?: string },
): Promise<string> {
  let jwt = new SignJWT(claims.scope ? { scope: claims.scope } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (claims.ttlSeconds ?? 3600));
  if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
