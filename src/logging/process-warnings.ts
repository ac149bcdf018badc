import type { EventEmitter } from 'node:events';

export interface WarningLogger {
  warn(message: unknown): void;
  debug(message: unknown): void;
}

/**
 * kafkajs's request queue schedules its first throttle check with a negative delay; Node 24 warns
 * and runs it after 1 ms, which is what kafkajs meant. Expected on every start with Kafka.
 */
const expected = (w: Error) =>
  w.name === 'TimeoutNegativeWarning' && (w.stack ?? '').includes('/kafkajs/');

/**
 * Node prints process warnings to stderr as plain text, the only lines of the log that would not
 * be JSON (a collector would take them for errors or drop them). They go through the logger
 * instead, with their name and code as fields; Node's own printing is removed.
 */
export function logProcessWarnings(proc: EventEmitter, logger: WarningLogger): void {
  proc.removeAllListeners('warning');
  proc.on('warning', (w: Error & { code?: string }) => {
    const entry = { msg: `process warning: ${w.message}`, warning: w.name, code: w.code };
    if (expected(w)) logger.debug(entry);
    else logger.warn(entry);
  });
}
