import type { Notification } from '../types.js';
import {
  DEFAULT_HEARTBEAT_MS,
  joinUrl,
  type OpenTransport,
  type TransportEnd,
} from './transport.js';

/** Close codes the gateway uses (docs/protocol.md): 4401 token, 4400 bad request, 4429 caps. */
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_BAD_REQUEST = 4400;
const CLOSE_TOO_MANY = 4429;
const CLOSE_TRY_AGAIN_LATER = 1013;

interface Frame {
  event?: unknown;
  data?: unknown;
}

/**
 * WebSocket with JSON frames. A browser WebSocket cannot set headers, so the token travels as the
 * `access_token` query parameter (the server redacts it from logs). The client pings every
 * heartbeat interval; silence for twice that means the link is dead.
 */
export const openWs: OpenTransport = (params, sink) => {
  let stopped = false;
  let finish!: (end: TransportEnd) => void;
  const ended = new Promise<TransportEnd>((resolve) => (finish = resolve));
  const heartbeatMs = params.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let opened = false;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let pinger: ReturnType<typeof setInterval> | undefined;

  const url = new URL(joinUrl(params.baseUrl, '/v1/ws'));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('access_token', params.token);
  const ws = new WebSocket(url);

  const cleanup = () => {
    clearTimeout(watchdog);
    clearInterval(pinger);
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000);
  };
  const end = (e: TransportEnd) => {
    if (stopped) return;
    stopped = true;
    cleanup();
    finish(e);
  };
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(
      () => end(opened ? { kind: 'stalled' } : { kind: 'unavailable', reason: 'no response' }),
      2 * heartbeatMs,
    );
  };
  const send = (event: string, data?: unknown) =>
    ws.send(JSON.stringify(data === undefined ? { event } : { event, data }));

  arm();
  ws.onopen = () => {
    opened = true;
    const data: Record<string, unknown> = { channels: [...params.channels] };
    if (params.cursor) data.lastEventId = params.cursor;
    send('subscribe', data);
    sink.opened({ heartbeatMs });
    arm();
    pinger = setInterval(() => send('ping'), heartbeatMs);
  };
  ws.onmessage = (msg) => {
    arm();
    let frame: Frame;
    try {
      frame = JSON.parse(String(msg.data)) as Frame;
    } catch {
      return end({ kind: 'dropped', reason: 'malformed frame' });
    }
    const data = (frame.data ?? {}) as Record<string, unknown>;
    switch (frame.event) {
      case 'notification':
        sink.notification(data as unknown as Notification);
        break;
      case 'reset':
        if (typeof data.id === 'string') sink.reset(data.id);
        break;
      case 'subscribed':
        // Where a subscription without a cursor starts, when the server says.
        for (const key of ['id', 'cursor', 'lastEventId']) {
          if (typeof data[key] === 'string') {
            sink.cursor(data[key] as string);
            break;
          }
        }
        break;
      case 'pong':
        sink.heartbeat();
        break;
      case 'error':
        if (data.code === 'unauthorized' || data.code === 'token_expired')
          end({ kind: 'unauthorized' });
        break;
    }
  };
  ws.onclose = (ev) => {
    if (ev.code === CLOSE_UNAUTHORIZED) return end({ kind: 'unauthorized' });
    if (ev.code === CLOSE_BAD_REQUEST)
      return end({ kind: 'rejected', reason: ev.reason || 'bad request' });
    if (ev.code === CLOSE_TOO_MANY || ev.code === CLOSE_TRY_AGAIN_LATER)
      return end({ kind: 'dropped', reason: ev.reason || 'too many connections' });
    const reason = `closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`;
    end(opened ? { kind: 'dropped', reason } : { kind: 'unavailable', reason });
  };

  return {
    ended,
    stop: () => {
      stopped = true;
      cleanup();
    },
  };
};
