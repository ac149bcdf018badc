/**
 * Which pages may open a WebSocket. Browsers attach `Origin` to every WebSocket handshake and,
 * unlike fetch, do not enforce CORS on it, so without this check any site could open a socket
 * with the visitor's cookie (cross-site WebSocket hijacking). Allowed: no `Origin` at all (not a
 * browser), the service's own origin (the Origin's host equals the Host header), and the
 * configured list.
 */
export class WsOriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowedOrigins: readonly string[]) {
    this.allowed = new Set(allowedOrigins.map((o) => normalize(o)).filter((o) => o !== null));
  }

  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    const normalized = normalize(origin);
    if (normalized === null) return false;
    if (this.allowed.has(normalized)) return true;
    return host !== undefined && new URL(normalized).host === host.toLowerCase();
  }
}

function normalize(origin: string): string | null {
  if (origin.length > 2048) return null;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin;
  } catch {
    return null;
  }
}
