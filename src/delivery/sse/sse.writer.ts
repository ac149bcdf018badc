import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';
import type { StreamItem } from '../../hub/notification-streams.js';
import type { StoredNotification } from '../../notifications/notification.js';

export interface SseWriterOptions {
  readonly retryMs: number;
  readonly heartbeatMs: number;
  /** Past this many bytes waiting for a client that does not read, it is dropped and resumes by cursor. */
  readonly maxBufferedBytes: number;
  /** Written just before the stream ends normally (e.g. a drain's jittered `retry:`). */
  readonly finalFrame: () => string;
  readonly onDelivered: (n: StoredNotification) => void;
  readonly onHeartbeat: () => void;
  readonly onSlowClient: () => void;
  readonly onError: (err: unknown) => void;
}

/** What Nest's @Sse sends, so proxies treat the stream the same way. */
const HEADERS = {
  'Content-Type': 'text/event-stream',
  Connection: 'keep-alive',
  'Cache-Control': 'private, no-cache, no-store, must-revalidate, max-age=0, no-transform',
  Pragma: 'no-cache',
  Expires: '0',
  'X-Accel-Buffering': 'no',
};

// A comment carries no id, so it never moves the client's cursor.
const HEARTBEAT = ': heartbeat\n\n';

function frameOf(item: StreamItem): string {
  switch (item.kind) {
    case 'notification':
      return item.notification.sseFrame;
    case 'reset':
      return `event: reset\nid: ${item.id}\ndata: {"id":"${item.id}","reason":"cursor_unavailable"}\n\n`;
    case 'position':
      // No data, so EventSource dispatches nothing, but it records the id as its cursor.
      return `id: ${item.id}\n\n`;
  }
}

/**
 * Writes a user's stream as Server-Sent Events straight to the response. Nest's @Sse pipeline
 * formats each event again for every connection and chains a promise and a tick per write, so
 * every event cost one syscall per connection; here a notification's frame is encoded once and
 * shared, and the events of one publish leave in one write per connection (Node corks a response
 * for the rest of the tick). A heartbeat comment every `heartbeatMs` keeps proxies from closing
 * an idle stream and lets the client tell a dead connection from a quiet one.
 */
export function writeSse(
  req: IncomingMessage,
  res: ServerResponse,
  items: Observable<StreamItem>,
  options: SseWriterOptions,
): void {
  req.socket.setNoDelay(true);
  req.socket.setKeepAlive(true);
  req.socket.setTimeout(0);
  // Tells the browser client how long a silence means a stalled stream (a buffering proxy).
  res.writeHead(200, { ...HEADERS, 'Heartbeat-Interval-Ms': String(options.heartbeatMs) });
  res.flushHeaders();

  let retry = `retry: ${options.retryMs}\n`;
  const write = (chunk: string) => {
    res.write(chunk);
    if (res.writableLength > options.maxBufferedBytes && !res.destroyed) {
      options.onSlowClient();
      res.destroy();
    }
  };
  const heartbeat = setInterval(() => {
    write(HEARTBEAT);
    options.onHeartbeat();
  }, options.heartbeatMs);
  const subscription = items.subscribe({
    next: (item) => {
      if (item.kind === 'notification') options.onDelivered(item.notification);
      if (retry) {
        write(retry + frameOf(item));
        retry = '';
      } else write(frameOf(item));
    },
    // Headers are out, so no status can tell the client: it reconnects and resumes by cursor.
    error: (err) => {
      options.onError(err);
      res.destroy();
    },
    complete: () => res.end(options.finalFrame()),
  });
  res.once('close', () => {
    clearInterval(heartbeat);
    subscription.unsubscribe();
  });
}
