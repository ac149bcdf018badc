import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';

/** What every log line written while handling one request or connection is tagged with. */
export interface LogContext {
  readonly reqId?: string;
  readonly connId?: string;
  /** Set when known up front (WebSocket after its handshake); otherwise read from `req`. */
  readonly userId?: string;
  /** The request, so the user is found once authentication has run. */
  readonly req?: IncomingMessage;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` (and everything it starts) with `context` attached to its log lines. */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
