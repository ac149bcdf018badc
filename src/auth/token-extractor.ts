import type { IncomingMessage } from 'node:http';

/**
 * Where a browser can put its token: the `Authorization` header, an `access_token` cookie, or an
 * `access_token` query parameter (EventSource and WebSocket in browsers cannot set headers).
 */
export function extractToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim() || undefined;
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === 'access_token') {
        const value = part.slice(eq + 1).trim();
        if (value) return safeDecode(value);
      }
    }
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q >= 0) {
    const token = new URLSearchParams(url.slice(q + 1)).get('access_token');
    if (token) return token;
  }
  return undefined;
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

const SECRET_PARAMS = /([?&](?:access_token|token|jwt)=)[^&#]*/gi;

/** A URL fit for a log line: token-bearing query parameters are replaced. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[REDACTED]');
}
