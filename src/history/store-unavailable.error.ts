/**
 * The history store cannot take writes right now (Redis down). Nothing was stored: the caller
 * retries later (Kafka pauses, HTTP answers 503 with Retry-After).
 */
export class StoreUnavailableError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('the notification store is unavailable', options);
    this.name = 'StoreUnavailableError';
  }
}
