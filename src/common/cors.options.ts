import type { CorsOptions } from 'cors';

/**
 * Only the listed origins: a browser page elsewhere cannot read a stream or publish, and the
 * tokens a page holds (header or cookie) work only from there. Shared by Nest's routes and the
 * publish route in front of them, so both answer a browser alike.
 */
export function corsOptions(origins: readonly string[]) {
  return {
    origin: [...origins],
    credentials: true,
    allowedHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', 'X-Request-Id'],
    // The browser client reads the heartbeat interval and Retry-After from a cross-origin answer.
    exposedHeaders: ['Heartbeat-Interval-Ms', 'Retry-After', 'X-Request-Id'],
    maxAge: 600,
  } satisfies CorsOptions;
}
