import type { LoggerService } from '@nestjs/common';
import { findPrincipal } from '../auth/jwt-auth.guard.js';
import type { AppConfig } from '../config/app-config.js';
import { currentLogContext } from './log-context.js';
import { redactingReplacer } from './redact.js';

export type LogLevel = AppConfig['LOG_LEVEL'];

const SEVERITY: Record<LogLevel | 'fatal', number> = {
  fatal: 0,
  error: 0,
  warn: 1,
  info: 2,
  debug: 3,
  verbose: 4,
};

export type LineSink = (line: string) => void;

/** Whether a logger set to `threshold` (LOG_LEVEL) writes lines of `level`. */
export function levelEnabled(threshold: LogLevel, level: LogLevel): boolean {
  return SEVERITY[level] <= SEVERITY[threshold];
}

const stdoutSink: LineSink = (line) => process.stdout.write(line + '\n');

/**
 * Nest's logger as one JSON object per line: `level`, `time`, `context`, `msg`, the request or
 * connection id and user id when known, and the fields of an object message. Credentials are
 * masked by key and by pattern on every line, whatever wrote it.
 */
export class JsonLogger implements LoggerService {
  private readonly max: number;

  constructor(
    level: LogLevel,
    private readonly sink: LineSink = stdoutSink,
  ) {
    this.max = SEVERITY[level];
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes `(message, stack?, context?)`. */
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  isEnabled(level: LogLevel): boolean {
    return SEVERITY[level] <= this.max;
  }

  private write(level: LogLevel | 'fatal', message: unknown, params: unknown[]): void {
    if (SEVERITY[level] > this.max) return;
    const rest = [...params];
    // Nest's Logger appends its context as the last string argument.
    const context =
      rest.length > 0 && typeof rest.at(-1) === 'string' ? (rest.pop() as string) : undefined;
    const entry: Record<string, unknown> = { level, time: new Date().toISOString(), context };
    const ctx = currentLogContext();
    if (ctx) {
      entry.reqId = ctx.reqId;
      entry.connId = ctx.connId;
      entry.userId = ctx.userId ?? (ctx.req && findPrincipal(ctx.req)?.userId);
    }
    if (message instanceof Error) {
      entry.msg = message.message;
      entry.stack = message.stack;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(entry, message);
    } else {
      entry.msg = String(message);
    }
    const stack = rest.find((p): p is string => typeof p === 'string');
    if (stack !== undefined) entry.stack = stack;
    const extra = rest.filter((p) => typeof p !== 'string' && p !== undefined);
    if (extra.length) entry.extra = extra;
    let line: string;
    try {
      line = JSON.stringify(entry, redactingReplacer);
    } catch {
      line = JSON.stringify({
        level,
        time: entry.time,
        context,
        msg: '(unserialisable log entry)',
      });
    }
    this.sink(line);
  }
}
