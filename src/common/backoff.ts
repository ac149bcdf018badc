/**
 * Exponential backoff with ±20 % jitter, so replicas that failed together do not retry together.
 * `attempt` counts from 0.
 */
export function backoffMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(Math.min(maxMs, base * (0.8 + 0.4 * random())));
}
