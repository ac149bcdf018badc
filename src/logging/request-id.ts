import { randomBytes } from 'node:crypto';

/**
 * Request ids: a random prefix drawn once per process, then a counter. Unique across replicas and
 * restarts as a UUID would be, for a fraction of its cost: `randomUUID()` per publish request
 * (and its formatting) was about 2 % of the gateway's CPU at 2 000 notifications/s (perf(1),
 * bench/RESULTS.md, seventh session).
 */
export function requestIdSource(prefix = randomBytes(9).toString('base64url')): () => string {
  let count = 0;
  return () => `${prefix}-${(++count).toString(36)}`;
}
