import { DEFAULT_BACKOFF } from './backoff.js';
import { Connection, type ConnectionEvents, type ConnectionSettings } from './connection.js';
import { Emitter } from './emitter.js';
import { RecentIds } from './recent-ids.js';
import { SharedConnection, type Delivery } from './shared-connection.js';
import { tokenSource } from './token-source.js';
import { tokenSubject } from './token-subject.js';
import { openLongPoll } from './transports/longpoll.transport.js';
import { openSse } from './transports/sse.transport.js';
import { openWs } from './transports/ws.transport.js';
import type { ClientEvents, ConnectOptions, Listener, NotifyClient, Status } from './types.js';

const MAX_CHANNELS = 32;
const DEFAULT_LONG_POLL_TIMEOUT_SECONDS = 25;
const MAX_LONG_POLL_TIMEOUT_SECONDS = 55;

/**
 * Connects to the gateway and delivers this user's notifications. Every tab of an origin that
 * connects with the same user, channels and transport shares one server connection.
 */
export function connect(options: ConnectOptions): NotifyClient {
  const settings = settingsFrom(options);
  const emitter = new Emitter<ClientEvents>();
  const seen = new RecentIds();
  let status: Status = {
    state: 'connecting',
    transport: null,
    role: 'solo',
    lastEventId: options.lastEventId ?? null,
    heartbeats: 0,
    lastHeartbeatAt: null,
    error: null,
  };
  let closed = false;
  const deliver: Delivery = {
    notification: (n) => {
      if (!closed && seen.add(n.id)) emitter.emit('notification', n);
    },
    reset: (id) => {
      if (!closed) emitter.emit('reset', { id, reason: 'cursor_unavailable' });
    },
    status: (s) => {
      if (closed) return;
      status = s;
      emitter.emit('status', s);
    },
  };
  const newConnection = (cursor: string | null, events: ConnectionEvents) =>
    new Connection(settings, cursor, events);

  let stop: () => void = () => undefined;
  const start = async () => {
    if (closed) return;
    const canShare =
      options.share !== false &&
      typeof BroadcastChannel === 'function' &&
      typeof navigator !== 'undefined' &&
      navigator.locks !== undefined;
    if (!canShare) {
      const connection = newConnection(status.lastEventId, {
        notification: deliver.notification,
        reset: deliver.reset,
        status: (s) => deliver.status({ ...s, role: 'solo' }),
      });
      stop = () => connection.stop();
      connection.start();
      return;
    }
    // The lock is per user: the token's subject names it.
    let user: string;
    try {
      user = tokenSubject(await settings.tokens.current()) ?? 'anonymous';
    } catch (err) {
      deliver.status({
        ...status,
        state: 'closed',
        error: `could not get a token: ${String(err)}`,
      });
      return;
    }
    if (closed) return;
    const shared = new SharedConnection(
      shareName(settings, user),
      status.lastEventId,
      newConnection,
      deliver,
    );
    stop = () => shared.close();
    shared.start();
  };
  queueMicrotask(() => void start());

  return {
    on: <K extends keyof ClientEvents>(type: K, l: Listener<ClientEvents[K]>) =>
      emitter.on(type, l),
    off: <K extends keyof ClientEvents>(type: K, l: Listener<ClientEvents[K]>) =>
      emitter.off(type, l),
    get status() {
      return status;
    },
    close() {
      if (closed) return;
      stop();
      status = { ...status, state: 'closed', error: null };
      emitter.emit('status', status);
      closed = true;
    },
  };
}

function settingsFrom(o: ConnectOptions): ConnectionSettings {
  if (!o.url) throw new TypeError('connect: `url` is required');
  if (!o.token && !o.getToken) throw new TypeError('connect: `token` or `getToken` is required');
  const channels = [...new Set(o.channels ?? [])].sort();
  if (channels.length > MAX_CHANNELS) {
    throw new RangeError(`connect: at most ${MAX_CHANNELS} channels`);
  }
  const timeout = o.longPollTimeoutSeconds ?? DEFAULT_LONG_POLL_TIMEOUT_SECONDS;
  if (!(timeout >= 1 && timeout <= MAX_LONG_POLL_TIMEOUT_SECONDS)) {
    throw new RangeError(
      `connect: longPollTimeoutSeconds must be 1 to ${MAX_LONG_POLL_TIMEOUT_SECONDS}`,
    );
  }
  if (o.heartbeatMs !== undefined && !(o.heartbeatMs > 0)) {
    throw new RangeError('connect: heartbeatMs must be positive');
  }
  return {
    baseUrl: new URL(o.url, globalThis.location?.href).href.replace(/\/+$/, ''),
    channels,
    transport: o.transport ?? 'auto',
    heartbeatMs: o.heartbeatMs,
    longPollTimeoutSeconds: Math.floor(timeout),
    backoff: { ...DEFAULT_BACKOFF, ...o.backoff },
    tokens: tokenSource(o.token, o.getToken),
    transports: { sse: openSse, ws: openWs, longpoll: openLongPoll },
  };
}

/** Tabs share a connection only when it would be the same connection. */
function shareName(s: ConnectionSettings, user: string): string {
  return ['notify-client', s.baseUrl, user, s.channels.join(','), s.transport].join('|');
}
