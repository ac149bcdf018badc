import type { Notification } from '../types.js';
import {
  DEFAULT_HEARTBEAT_MS,
  joinUrl,
  transportLife,
  type OpenTransport,
  type TransportEnd,
} from './transport.js';

/** The gateway closes with 4401 when the token expires; every other close is resumed by cursor. */
const CLOSE_TOKEN_EXPIRED = 4401;

interface Frame {
  event?: unknown;
  data?: unknown;
}

/**
 * WebSocket with JSON frames. A browser WebSocket cannot set headers, so the token travels as the
 * `access_token` query parameter (the server redacts it from logs). The client pings every
 * heartbeat interval; silence for twice that means the link is dead. The gateway refuses a bad
 * token, origin or cap before the handshake, with an HTTP status the browser does not reveal: such
 * a refusal surfaces as `unavailable`.
 */
export const openWs: OpenTransport = (params, sink) => {
  if (params.channels.length === 0) {
    const reason = 'the WebSocket transport subscribes per channel: pass `channels`';
    return { ended: Promise.resolve({ kind: 'rejected', reason }), stop: () => undefined };
  }
  const heartbeatMs = params.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let opened = false;
  let subscribed = false;
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
  const life = transportLife(cleanup);
  const end = (e: TransportEnd) => life.end(e);
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
    sink.opened();
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
        // Sent once live delivery is in place, with the position the subscription starts from.
        subscribed = true;
        if (typeof data.id === 'string') sink.cursor(data.id);
        break;
      case 'pong':
        sink.heartbeat();
        break;
      case 'error':
        // A refused subscribe leaves the socket open but silent: repeating it cannot help.
        if (!subscribed && data.code === 'bad_request') {
          end({ kind: 'rejected', reason: String(data.message ?? 'bad request') });
        }
        break;
    }
  };
  ws.onclose = (ev) => {
    if (ev.code === CLOSE_TOKEN_EXPIRED) return end({ kind: 'unauthorized' });
    const reason = `closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`;
    end(opened ? { kind: 'dropped', reason } : { kind: 'unavailable', reason });
  };

  return { ended: life.ended, stop: () => life.stop() };
};
