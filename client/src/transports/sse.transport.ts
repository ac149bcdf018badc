import { SseParser } from '../sse-parser.js';
import type { Notification } from '../types.js';
import {
  DEFAULT_HEARTBEAT_MS,
  joinUrl,
  retryAfterMs,
  streamQuery,
  transportLife,
  type OpenTransport,
  type TransportEnd,
  errorMessage,
} from './transport.js';

/** The response header that tells the client the server's SSE_HEARTBEAT_MS. */
const HEARTBEAT_HEADER = 'Heartbeat-Interval-Ms';

/**
 * Server-Sent Events over fetch rather than EventSource: EventSource cannot send the token in a
 * header, hides the HTTP status (a 401 looks like any network error) and swallows comments, which
 * are the heartbeats that tell a quiet stream from a buffered or dead one.
 */
export const openSse: OpenTransport = (params, sink) => {
  const abort = new AbortController();
  const life = transportLife(() => {
    clearTimeout(watchdog);
    abort.abort();
  });
  const end = (e: TransportEnd) => life.end(e);

  let heartbeatMs = params.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let opened = false;
  // Until the headers arrive the stall is a failure to open; afterwards, a stalled stream.
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(
      () => end(opened ? { kind: 'stalled' } : { kind: 'unavailable', reason: 'no response' }),
      2 * heartbeatMs,
    );
  };

  const run = async () => {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      authorization: `Bearer ${params.token}`,
    };
    if (params.cursor) headers['last-event-id'] = params.cursor;
    arm();
    let res: Response;
    try {
      res = await fetch(joinUrl(params.baseUrl, `/v1/notifications/stream${streamQuery(params)}`), {
        headers,
        cache: 'no-store',
        signal: abort.signal,
      });
    } catch {
      return end({ kind: 'unavailable', reason: 'network error' });
    }
    if (res.status === 401) return end({ kind: 'unauthorized' });
    if (res.status === 429)
      return end({
        kind: 'dropped',
        reason: 'too many connections',
        retryAfterMs: retryAfterMs(res),
      });
    if (res.status === 400) return end({ kind: 'rejected', reason: await errorMessage(res) });
    const type = res.headers.get('content-type') ?? '';
    if (!res.ok || !res.body || !type.startsWith('text/event-stream')) {
      return end({ kind: 'unavailable', reason: `HTTP ${res.status} ${type}`.trim() });
    }
    const announced = Number(res.headers.get(HEARTBEAT_HEADER));
    if (params.heartbeatMs === undefined && announced > 0) heartbeatMs = announced;
    opened = true;
    sink.opened();
    arm();

    const parser = new SseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (life.stopped) return;
        if (done) return end({ kind: 'dropped', reason: 'stream ended' });
        arm();
        for (const item of parser.push(value)) {
          if (item.kind === 'comment') sink.heartbeat();
          else if (item.kind === 'id') sink.cursor(item.id);
          else if (item.event === 'notification')
            sink.notification(JSON.parse(item.data) as Notification);
          else if (item.event === 'reset')
            sink.reset(item.id ?? (JSON.parse(item.data) as { id: string }).id);
        }
      }
    } catch {
      end({ kind: 'dropped', reason: 'stream broken' });
    }
  };
  void run();

  return { ended: life.ended, stop: () => life.stop() };
};
