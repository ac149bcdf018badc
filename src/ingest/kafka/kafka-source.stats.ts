import type { SourceState } from '../notification-source.js';

export const DEAD_LETTER_REASONS = ['too_large', 'not_json', 'invalid'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/**
 * Every counter of the Kafka source in one place, read by metrics and readiness. Counters only
 * grow; `state` and `pausedPartitions` are current values.
 */
export class KafkaSourceStats {
  state: SourceState = 'stopped';
  /** Messages read and handled (accepted, deduplicated or dead-lettered), redeliveries included. */
  consumed = 0;
  /** Notifications the store took as new. */
  accepted = 0;
  /** Redelivered or re-sent messages the store recognised by their dedupe key. */
  duplicates = 0;
  readonly deadLettered: Record<DeadLetterReason, number> = {
    too_large: 0,
    not_json: 0,
    invalid: 0,
  };
  /** Times a partition was paused because the store or the dead-letter topic failed. */
  retries = 0;
  /** Partitions paused now, waiting for their retry. */
  pausedPartitions = 0;
  /** Partitions this replica holds since its last group join. */
  assignedPartitions = 0;
  /** Group joins, the first one included: each one is a new partition assignment. */
  rebalances = 0;
  /** Fresh consumer starts after a crash or an unexpected stop. */
  restarts = 0;
}
