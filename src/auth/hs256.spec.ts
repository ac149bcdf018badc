import { describe, expect, it } from '@jest/globals';
import { errors, jwtVerify } from 'jose';
import { createHmac, createSecretKey } from 'node:crypto';
import { Hs256Error, verifyHs256 } from './hs256.js';

const SECRET = 's'.repeat(40);
const key = createSecretKey(Buffer.from(SECRET));
const NOW = 2_000_000_000;
const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** A compact token with any header and payload text, signed with `alg`'s HMAC (or unsigned). */
function token(
  header: unknown,
  payload: unknown,
  { secret = SECRET, hash = 'sha256', raw = false } = {},
): string {
  const text = (v: unknown) => (raw ? String(v) : JSON.stringify(v));
  const input = `${b64(text(header))}.${b64(text(payload))}`;
  if (hash === 'none') return `${input}.`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

const HS256 = { alg: 'HS256', typ: 'JWT' };
const claims = (over: Record<string, unknown> = {}) => ({
  sub: 'alice',
  iss: 'iss',
  aud: 'aud',
  exp: NOW + 60,
  ...over,
});
const withIssuer = { issuer: 'iss', audience: 'aud' };

type Verdict = { ok: true; sub: unknown } | { ok: false; code: string };

async function byJose(t: string, o: { issuer?: string; audience?: string }): Promise<Verdict> {
  try {
    const { payload } = await jwtVerify(t, key, {
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
      currentDate: new Date(NOW * 1000),
      ...o,
    });
    return { ok: true, sub: payload.sub };
  } catch (err) {
    if (!(err instanceof errors.JOSEError)) throw err;
    return { ok: false, code: err.code };
  }
}

function byNode(t: string, o: { issuer?: string; audience?: string }): Verdict {
  try {
    return { ok: true, sub: verifyHs256(t, key, { ...o, now: NOW }).sub };
  } catch (err) {
    if (!(err instanceof Hs256Error)) throw err;
    return { ok: false, code: err.code };
  }
}

const valid = token(HS256, claims());
const [h, p, s] = valid.split('.');

/** Tokens on which this verifier must say what jose says, down to the error code. */
const cases: [string, string, { issuer?: string; audience?: string }][] = [
  ['valid', valid, withIssuer],
  ['valid, no issuer or audience asked for', token(HS256, { sub: 'a', exp: NOW + 1 }), {}],
  ['another key', token(HS256, claims(), { secret: 'k'.repeat(40) }), withIssuer],
  ['alg none, unsigned', token({ alg: 'none' }, claims(), { hash: 'none' }), withIssuer],
  ['HS512', token({ alg: 'HS512' }, claims(), { hash: 'sha512' }), withIssuer],
  ['RS256 named, HMAC signed', token({ alg: 'RS256' }, claims()), withIssuer],
  ['no alg', token({ typ: 'JWT' }, claims()), withIssuer],
  ['empty alg', token({ alg: '' }, claims()), withIssuer],
  ['numeric alg', token({ alg: 256 }, claims()), withIssuer],
  ['header an array', token(['HS256'], claims()), withIssuer],
  ['header not JSON', token('{alg:HS256', claims(), { raw: true }), withIssuer],
  ['crit', token({ ...HS256, crit: ['exp'], exp: 1 }, claims()), withIssuer],
  ['b64 without crit (ignored)', token({ ...HS256, b64: false }, claims()), withIssuer],
  ['payload an array', token(HS256, [claims()]), withIssuer],
  ['payload a number', token(HS256, 5), withIssuer],
  ['payload not JSON', token(HS256, '{"sub":', { raw: true }), withIssuer],
  ['no exp', token(HS256, claims({ exp: undefined })), withIssuer],
  ['exp a string', token(HS256, claims({ exp: String(NOW + 60) })), withIssuer],
  ['expired', token(HS256, claims({ exp: NOW - 1 })), withIssuer],
  ['expiring now', token(HS256, claims({ exp: NOW })), withIssuer],
  ['expiring in a second', token(HS256, claims({ exp: NOW + 1 })), withIssuer],
  ['not yet valid', token(HS256, claims({ nbf: NOW + 1 })), withIssuer],
  ['valid from now', token(HS256, claims({ nbf: NOW })), withIssuer],
  ['nbf a string', token(HS256, claims({ nbf: 'soon' })), withIssuer],
  ['iat a string', token(HS256, claims({ iat: 'now' })), withIssuer],
  ['iat a number', token(HS256, claims({ iat: NOW - 5 })), withIssuer],
  ['no iss', token(HS256, claims({ iss: undefined })), withIssuer],
  ['another iss', token(HS256, claims({ iss: 'other' })), withIssuer],
  ['iss an array', token(HS256, claims({ iss: ['iss'] })), withIssuer],
  ['no aud', token(HS256, claims({ aud: undefined })), withIssuer],
  ['another aud', token(HS256, claims({ aud: 'x' })), withIssuer],
  ['aud among others', token(HS256, claims({ aud: ['x', 'aud'] })), withIssuer],
  ['aud not among', token(HS256, claims({ aud: ['x', 'y'] })), withIssuer],
  ['aud a number', token(HS256, claims({ aud: 5 })), withIssuer],
  ['no sub', token(HS256, claims({ sub: undefined })), withIssuer],
  ['numeric sub (refused a level up)', token(HS256, claims({ sub: 42 })), withIssuer],
  ['four segments', `${valid}.${s}`, withIssuer],
  ['two segments', `${h}.${p}`, withIssuer],
  ['no header', `.${p}.${s}`, withIssuer],
  ['no signature', `${h}.${p}.`, withIssuer],
  ['signature cut short', `${h}.${p}.${s.slice(0, -2)}`, withIssuer],
  ['signature one character long', `${h}.${p}.${s}A`, withIssuer],
  ['signature in base64, not base64url', `${h}.${p}.${s.replace(/-/g, '+')}x+/`, withIssuer],
  ['payload of 4n+1 characters', `${h}.${p}A.${s}`, withIssuer],
  [
    'invalid UTF-8 in the payload',
    (() => {
      const input = `${h}.${Buffer.from([0x7b, 0x22, 0x73, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url')}`;
      return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
    })(),
    withIssuer,
  ],
];

describe('verifyHs256', () => {
  it.each(cases)('decides as jose does: %s', async (_name, t, options) => {
    expect(byNode(t, options)).toEqual(await byJose(t, options));
  });

  it('the cases cover acceptance, expiry and every other refusal', async () => {
    const verdicts = await Promise.all(cases.map(([, t, o]) => byJose(t, o)));
    const codes = new Set(verdicts.map((v) => (v.ok ? 'ok' : v.code)));
    expect([...codes].sort()).toEqual([
      'ERR_JOSE_ALG_NOT_ALLOWED',
      'ERR_JOSE_NOT_SUPPORTED',
      'ERR_JWS_INVALID',
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
      'ERR_JWT_EXPIRED',
      'ERR_JWT_INVALID',
      'ok',
    ]);
  });

  it('is stricter than jose only where no issuer goes: padding, whitespace, b64 as critical', async () => {
    const signed = (input: string) =>
      `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
    const unpadded = b64(JSON.stringify(claims({ x: 'ab' })));
    expect(unpadded.length % 4).not.toBe(0);
    const padded = signed(`${h}.${unpadded.padEnd(Math.ceil(unpadded.length / 4) * 4, '=')}`);
    const spaced = signed(`${h.slice(0, 4)} ${h.slice(4)}.${p}`);
    const b64True = token({ ...HS256, crit: ['b64'], b64: true }, claims());
    for (const t of [padded, spaced, b64True]) {
      expect(await byJose(t, withIssuer)).toMatchObject({ ok: true });
      expect(byNode(t, withIssuer)).toMatchObject({ ok: false });
    }
    // An unencoded payload: both refuse, jose after checking the signature.
    const unencoded = token({ ...HS256, crit: ['b64'], b64: false }, claims());
    expect(await byJose(unencoded, withIssuer)).toMatchObject({ ok: false });
    expect(byNode(unencoded, withIssuer)).toMatchObject({ ok: false });
  });
});
