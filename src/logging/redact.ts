export const REDACTED = '[REDACTED]';

/** Object keys whose values are credentials wherever they appear (headers, options, errors). */
const SECRET_KEYS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'access_token',
  'accesstoken',
  'token',
  'jwt',
  'password',
  'secret',
  'jwt_secret',
]);

/**
 * Credentials in free text: bearer values, anything JWT-shaped, token query parameters and
 * token cookies. Applied to every string a log line holds, so a token that reached a message, an
 * error or a stack trace is still masked.
 */
const SECRET_TEXT: readonly [RegExp, string][] = [
  [/(bearer\s+)[^\s",;]+/gi, `$1${REDACTED}`],
  [/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, REDACTED],
  [/((?:^|[?&;\s"])(?:access_token|token|jwt)=)[^&#\s";]*/gi, `$1${REDACTED}`],
];

export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out;
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase());
}

/**
 * A `JSON.stringify` replacer that masks credential-named fields at any depth and credentials in
 * every string (before escaping, so the line stays valid JSON).
 */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && isSecretKey(key) && value !== undefined && value !== null) return REDACTED;
  return typeof value === 'string' ? redactText(value) : value;
}
