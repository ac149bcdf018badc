import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Observable, Subscription } from 'rxjs';
import type { StreamItem } from '../../hub/notification-streams.js';
import { httpChunk, type StoredNotification } from '../../notifications/notification.js';
import type { HeartbeatWheel } from '../heartbeat-wheel.js';
import type { TurnWrites } from '../turn-writes.js';
import { releaseHttpParser } from './http-parser-release.js';

/** Shared by every stream of a controller, so a connection carries no closures of its own. */
export interface SseWriterOptions {
  readonly retryMs: number;
  /** The response headers, the same for every stream (see `sseHeaders`). */
  readonly headers: OutgoingHttpHeaders;
  readonly heartbeats: HeartbeatWheel<SseStream>;
  readonly writes: TurnWrites;
  /** Past this many bytes waiting for a client that does not read, it is dropped and resumes by cursor. */
  readonly maxBufferedBytes: number;
  readonly onDelivered: (n: StoredNotification) => void;
  readonly onHeartbeat: () => void;
  readonly onSlowClient: () => void;
  readonly onError: (err: unknown) => void;
}

/**
 * What Nest's @Sse sends, so proxies treat the stream the same way, and the heartbeat interval,
 * which tells the browser client how long a silence means a stalled stream (a buffering proxy).
 */
export function sseHeaders(heartbeatMs: number): OutgoingHttpHeaders {
  return {
    'Content-Type': 'text/event-stream',
    Connection: 'keep-alive',
    'Cache-Control': 'private, no-cache, no-store, must-revalidate, max-age=0, no-transform',
    Pragma: 'no-cache',
    Expires: '0',
    'X-Accel-Buffering': 'no',
    'Heartbeat-Interval-Ms': String(heartbeatMs),
  };
}

// A comment carries no id, so it never moves the client's cursor.
const HEARTBEAT = ': heartbeat\n\n';
const HEARTBEAT_CHUNK = httpChunk(HEARTBEAT);

/** The event for `item`, unframed (a notification's own chunk is cached on it). */
function eventOf(item: Exclude<StreamItem, { kind: 'notification' }>): string {
  switch (item.kind) {
    case 'reset':
      return `event: reset\nid: ${item.id}\ndata: {"id":"${item.id}","reason":"cursor_unavailable"}\n\n`;
    case 'position':
      // No data, so EventSource dispatches nothing, but it records the id as its cursor.
      return `id: ${item.id}\n\n`;
  }
}

/**
 * One user's stream written as Server-Sent Events straight to the response. Nest's @Sse pipeline
 * formats each event again for every connection and chains a promise and a tick per write, so
 * every event cost one syscall per connection. Here a notification's event is encoded once, as
 * the HTTP chunk it travels in, and written as-is to every recipient's socket (through the
 * response, Node would frame each write again, as four writes of its own); what a connection
 * gets in one batch, or in one event-loop turn when the gateway is busy, leaves in one syscall
 * (TurnWrites). An HTTP/1.0 client gets no chunked encoding, so its events go out unframed. A
 * heartbeat comment every `heartbeatMs` keeps proxies from closing an idle stream and lets the
 * client tell a dead connection from a quiet one.
 */
export class SseStream {
  private retry: string;
  private readonly subscription: Subscription | undefined;
  /**
   * The response's socket, held here: a write then reads no response object on its way (at
   * volume, one more cold object per delivery). The response lets go of it once it has finished,
   * so whether the stream has ended is read from the socket (`write`).
   */
  private readonly socket: Socket | null;

  constructor(
    private readonly res: ServerResponse,
    items: Observable<StreamItem>,
    private readonly options: SseWriterOptions,
    /** Whether the response body is `Transfer-Encoding: chunked` (not for HTTP/1.0 clients). */
    private readonly chunked = true,
  ) {
    this.retry = `retry: ${options.retryMs}\n`;
    this.socket = res.socket;
    // The stream's own methods are the observer, so a connection allocates no closures for it.
    this.subscription = items.subscribe(this);
    options.heartbeats.add(this);
    // A client gone before its stream started has no 'close' left to come.
    if (res.closed || res.destroyed) this.closed();
    else res.once('close', this.closed);
  }

  next(item: StreamItem): void {
    if (this.chunked && !this.retry && item.kind === 'notification') {
      this.write(item.notification.sseChunk);
    } else {
      // The first event carries the reconnection delay, so it is framed on its own, once.
      const event = item.kind === 'notification' ? item.notification.sseEvent : eventOf(item);
      this.write(this.frame(this.retry + event));
      this.retry = '';
    }
    if (item.kind === 'notification') this.options.onDelivered(item.notification);
  }

  /** Headers are out, so no status can tell the client: it reconnects and resumes by cursor. */
  error(err: unknown): void {
    this.options.onError(err);
    this.res.destroy();
  }

  complete(): void {
    this.end('');
  }

  heartbeat(): void {
    this.write(this.chunked ? HEARTBEAT_CHUNK : HEARTBEAT);
    this.options.onHeartbeat();
  }

  /**
   * Ends the stream after `finalFrame` (e.g. a drain's jittered `retry:`), and its connection
   * with it: once its parser is released, the connection can carry no further request.
   */
  end(finalFrame: string): void {
    this.subscription?.unsubscribe();
    if (!this.res.writableEnded) this.res.end(finalFrame);
    this.socket?.destroySoon();
  }

  private frame(text: string): string {
    return this.chunked ? httpChunk(text) : text;
  }

  /** Writes a piece of the response body, framed already, straight to the socket. */
  private write(chunk: string): void {
    const { socket } = this;
    // Ended by `end` (drain, hub closing): whatever comes before the close is not written.
    if (!socket || socket.destroyed || socket.writableEnded) return;
    this.options.writes.hold(socket);
    socket.write(chunk);
    if (socket.writableLength > this.options.maxBufferedBytes) {
      this.options.onSlowClient();
      this.res.destroy();
    }
  }

  private readonly closed = () => {
    this.options.heartbeats.remove(this);
    this.subscription?.unsubscribe();
  };
}

export function writeSse(
  req: IncomingMessage,
  res: ServerResponse,
  items: Observable<StreamItem>,
  options: SseWriterOptions,
): SseStream {
  req.socket.setNoDelay(true);
  req.socket.setKeepAlive(true);
  req.socket.setTimeout(0);
  res.writeHead(200, options.headers);
  res.flushHeaders();
  // Known once the headers are out, and before their table is released.
  const chunked = res.chunkedEncoding;
  releaseRequestState(req, res);
  releaseHttpParser(req);
  return new SseStream(res, items, options, chunked);
}

/**
 * A stream stays open for hours after its request was routed, and everything the request
 * gathered on the way stays with it: Express's routing (the router's `next` and, through it,
 * every closure of the dispatch, the parsed URL, params), Node's table of the response headers
 * (only needed until they are sent) and its parsed copy of the request headers (rebuilt from the
 * raw ones if anything asks again). Letting go of them saves about 2.5 KB per idle connection
 * (bench/RESULTS.md). Node's own state is reached by symbol; where a Node version names it
 * differently, this is a no-op.
 */
function releaseRequestState(req: IncomingMessage, res: ServerResponse): void {
  const request = req as unknown as Record<string | symbol, unknown>;
  const response = res as unknown as Record<string | symbol, unknown>;
  for (const key of ['next', '_parsedUrl', 'params', 'route', 'body']) request[key] = undefined;
  response.locals = undefined;
  const parsedHeaders = nodeSymbol(req, 'kHeaders');
  if (parsedHeaders) request[parsedHeaders] = null;
  const sentHeaders = nodeSymbol(res, 'kOutHeaders');
  if (sentHeaders) response[sentHeaders] = null;
}

const symbols = new Map<string, symbol | null>();

function nodeSymbol(target: object, description: string): symbol | null {
  let found = symbols.get(description);
  if (found === undefined) {
    found = Object.getOwnPropertySymbols(target).find((s) => s.description === description) ?? null;
    symbols.set(description, found);
  }
  return found;
}
