import type { Notification } from '../types.js';

/** What a transport reports while it runs. */
export interface TransportSink {
  /** The server accepted the connection (or answered the first poll). */
  opened(): void;
  notification(notification: Notification): void;
  reset(id: string): void;
  /** A position without a notification: where a stream opened without a cursor starts. */
  cursor(id: string): void;
  heartbeat(): void;
}

/** Why a transport stopped; the connection decides what to do next. */
export type TransportEnd =
  /** The token is missing, invalid or expired: fetch a fresh one and resume. */
  | { readonly kind: 'unauthorized' }
  /** It could not be opened at all: network error, blocked, or not an answer from the gateway. */
  | { readonly kind: 'unavailable'; readonly reason: string }
  /** Opened, then nothing arrived for twice the heartbeat interval (a buffering proxy, a dead link). */
  | { readonly kind: 'stalled' }
  /** Ended after working, or refused for now (429): reconnect after a delay. */
  | { readonly kind: 'dropped'; readonly reason: string; readonly retryAfterMs?: number }
  /** The server rejected the request itself (400): retrying the same request cannot help. */
  | { readonly kind: 'rejected'; readonly reason: string };

export interface TransportParams {
  readonly baseUrl: string;
  readonly token: string;
  readonly cursor: string | null;
  readonly channels: readonly string[];
  /** From the options; undefined lets the transport learn it from the server or use the default. */
  readonly heartbeatMs: number | undefined;
  readonly longPollTimeoutSeconds: number;
}

export interface TransportRun {
  readonly ended: Promise<TransportEnd>;
  /** Stops it for good; `ended` then never settles. */
  stop(): void;
}

export type OpenTransport = (params: TransportParams, sink: TransportSink) => TransportRun;

/** A transport's run as it goes: `end` settles `ended` once, `stop` ends it without a verdict. */
export interface TransportLife extends TransportRun {
  readonly stopped: boolean;
  end(end: TransportEnd): void;
}

/** The end-once bookkeeping every transport shares; `teardown` runs on the first end or stop. */
export function transportLife(teardown: () => void): TransportLife {
  let stopped = false;
  let finish!: (end: TransportEnd) => void;
  const ended = new Promise<TransportEnd>((resolve) => (finish = resolve));
  return {
    ended,
    get stopped() {
      return stopped;
    },
    end(e) {
      if (stopped) return;
      stopped = true;
      teardown();
      finish(e);
    },
    stop() {
      stopped = true;
      teardown();
    },
  };
}

export const DEFAULT_HEARTBEAT_MS = 15_000;

export interface TransportRegistry {
  readonly sse: OpenTransport;
  readonly ws: OpenTransport;
  readonly longpoll: OpenTransport;
}

/** Query string shared by the HTTP transports. */
export function streamQuery(params: TransportParams, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams(extra);
  if (params.channels.length) q.set('channels', params.channels.join(','));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Seconds of a `Retry-After` header as milliseconds (the server sends seconds). */
export function retryAfterMs(res: Response): number | undefined {
  const v = Number(res.headers.get('retry-after'));
  return Number.isFinite(v) && v > 0 ? v * 1000 : undefined;
}

export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/** The `message` of the gateway's JSON error body. */
export async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { message?: unknown };
    return typeof body.message === 'string' ? body.message : `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}
