export interface ReadinessResult {
  readonly ok: boolean;
  /** Why, in a few words: shown in the /health/ready body and logged when readiness changes. */
  readonly detail?: string;
}

/**
 * One condition the replica needs before it takes traffic (Kafka partitions assigned, Redis
 * reachable, not draining). Features register their own with `ReadinessChecks.register`.
 */
export interface ReadinessCheck {
  /** Short and stable: the key in the /health/ready body, e.g. `kafka`, `redis`, `drain`. */
  readonly name: string;
  check(): ReadinessResult | Promise<ReadinessResult>;
}
