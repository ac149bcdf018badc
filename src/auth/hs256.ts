import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/** Why a token was refused, in jose's error codes (the reason a 401 carries). */
export type Hs256Refusal =
  | 'ERR_JWS_INVALID'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JOSE_NOT_SUPPORTED'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JWT_INVALID'
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED'
  | 'ERR_JWT_EXPIRED';

export class Hs256Error extends Error {
  constructor(readonly code: Hs256Refusal) {
    super(code);
    this.name = 'Hs256Error';
  }
}

export interface Hs256Options {
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds since the epoch. */
  readonly now: number;
}

/** What a verified token's claims are known to hold (`sub` present, of any type, as with jose). */
export interface VerifiedClaims {
  readonly sub: unknown;
  /** Seconds since the epoch. */
  readonly exp: number;
  readonly scope?: unknown;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** base64url without padding; a length of 4n+1 encodes no whole byte (jose refuses it too). */
const isSegment = (s: string, mayBeEmpty = false) =>
  (mayBeEmpty || s.length > 0) && BASE64URL.test(s) && s.length % 4 !== 1;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Verifies a compact HS256 JWT with node:crypto, as jose's `jwtVerify` does with
 * `algorithms: ['HS256']` and `exp` and `sub` required (and, when given, `iss` and `aud`). jose
 * verifies through WebCrypto, a thread-pool job per call: 70–90 µs of CPU for a token of a few
 * hundred bytes, where this takes about 6 µs, and every new connection brings a token the cache
 * has not seen. Stricter than jose where a real issuer never goes: no `crit` header, no padding or
 * whitespace in a segment. `hs256.spec.ts` holds it to jose's verdict token by token.
 */
export function verifyHs256(token: string, key: KeyObject, options: Hs256Options): VerifiedClaims {
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  if (first <= 0 || last === first || token.indexOf('.', first + 1) !== last) invalid();
  const headerText = token.slice(0, first);
  const payloadText = token.slice(first + 1, last);
  const signatureText = token.slice(last + 1);
  if (!isSegment(headerText)) invalid();
  const header = jsonObject(headerText, 'ERR_JWS_INVALID');
  // No critical extension is understood here (jose knows only `b64`, which a JWT may not use).
  if ('crit' in header) throw new Hs256Error('ERR_JOSE_NOT_SUPPORTED');
  if (typeof header.alg !== 'string' || header.alg === '') invalid();
  if (header.alg !== 'HS256') throw new Hs256Error('ERR_JOSE_ALG_NOT_ALLOWED');
  if (!isSegment(payloadText) || !isSegment(signatureText, true)) invalid();

  const expected = createHmac('sha256', key).update(token.slice(0, last)).digest();
  const signature = Buffer.from(signatureText, 'base64url');
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw new Hs256Error('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  }

  const claims = jsonObject(payloadText, 'ERR_JWT_INVALID');
  const failed = () => new Hs256Error('ERR_JWT_CLAIM_VALIDATION_FAILED');
  if (!Object.hasOwn(claims, 'exp') || !Object.hasOwn(claims, 'sub')) throw failed();
  // A missing `iss` or `aud` fails these as a wrong one does, with the same code.
  if (options.issuer !== undefined && claims.iss !== options.issuer) throw failed();
  if (options.audience !== undefined) {
    const aud = claims.aud;
    const ok =
      typeof aud === 'string'
        ? aud === options.audience
        : Array.isArray(aud) && aud.includes(options.audience);
    if (!ok) throw failed();
  }
  for (const name of ['iat', 'nbf', 'exp'] as const) {
    if (claims[name] !== undefined && typeof claims[name] !== 'number') throw failed();
  }
  if (claims.nbf !== undefined && (claims.nbf as number) > options.now) throw failed();
  if ((claims.exp as number) <= options.now) throw new Hs256Error('ERR_JWT_EXPIRED');
  return claims as unknown as VerifiedClaims;
}

function invalid(): never {
  throw new Hs256Error('ERR_JWS_INVALID');
}

/** A segment `isSegment` has accepted, decoded as a JSON object. */
function jsonObject(segment: string, code: Hs256Refusal): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    throw new Hs256Error(code);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Hs256Error(code);
  }
  return value as Record<string, unknown>;
}
