/**
 * Where notifications come from besides HTTP (today Kafka). The gateway only starts, stops and
 * watches a source, so the client library behind it can be swapped without touching the rest.
 */
export type SourceState =
  /** Not started, or stopped on shutdown. */
  | 'stopped'
  /** Connecting and joining its consumer group. */
  | 'starting'
  /** Consuming. */
  | 'running'
  /** Failed; waiting for its backoff before a fresh start. */
  | 'restarting'
  | 'stopping';

export interface NotificationSource {
  readonly name: string;
  /** Readiness reports ready only while `running`. */
  readonly state: SourceState;
  /** Resolves after the first connection attempt; a failed one is retried in the background. */
  start(): Promise<void>;
  /** Stops consuming, committing what was accepted; idempotent. */
  stop(): Promise<void>;
}
