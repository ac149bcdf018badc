import { Injectable } from '@nestjs/common';
import type { ReadinessCheck } from './readiness-check.js';

/**
 * The checks /health/ready runs. A registry rather than a Nest multi-provider (which Nest lacks):
 * each feature registers its own check when it starts, so health knows nothing of Kafka or Redis.
 */
@Injectable()
export class ReadinessChecks {
  private readonly checks = new Map<string, ReadinessCheck>();

  /** Returns a function that removes the check. Names are unique. */
  register(check: ReadinessCheck): () => void {
    if (this.checks.has(check.name)) {
      throw new Error(`a readiness check named "${check.name}" is already registered`);
    }
    this.checks.set(check.name, check);
    return () => {
      if (this.checks.get(check.name) === check) this.checks.delete(check.name);
    };
  }

  list(): ReadinessCheck[] {
    return [...this.checks.values()];
  }
}
