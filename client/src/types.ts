/** A notification's `data` object, the same on every transport (see docs/protocol.md). */
export interface Notification {
  readonly id: string;
  readonly channel: string;
  readonly type: string;
  readonly payload: unknown;
  readonly createdAt: string;
}

/** The cursor could not be resumed: refetch your state, then go on (the client already does). */
export interface ResetEvent {
  readonly id: string;
  readonly reason: string;
}

export type TransportName = 'sse' | 'ws' | 'longpoll';

/** `solo`: this tab holds its own connection (sharing is off or the browser cannot share). */
export type Role = 'leader' | 'follower' | 'solo';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface Status {
  readonly state: ConnectionState;
  /** The transport of the one connection (held by this tab or by the leader tab). */
  readonly transport: TransportName | null;
  readonly role: Role;
  /** The cursor: the last event id handled, sent back on every reconnect. */
  readonly lastEventId: string | null;
  /** Heartbeats seen on the current connection (SSE comments, WebSocket pongs, empty polls). */
  readonly heartbeats: number;
  readonly lastHeartbeatAt: number | null;
  /** Why the client is reconnecting or closed. */
  readonly error: string | null;
}

export interface ClientEvents {
  notification: Notification;
  reset: ResetEvent;
  status: Status;
}

export interface ConnectOptions {
  /** The gateway's base URL, e.g. `https://notify.example.com` (no trailing path). */
  readonly url: string;
  /** A fixed access token. With `getToken` too, it is used first. */
  readonly token?: string;
  /** Called for the first token (when `token` is absent) and whenever the server says it expired. */
  readonly getToken?: () => string | Promise<string>;
  /** Channel filter; all channels when absent or empty. At most 32. */
  readonly channels?: readonly string[];
  /** `auto` (default): SSE, falling back to long polling when SSE cannot be opened or stalls. */
  readonly transport?: 'auto' | TransportName;
  /** Resume after this event id instead of starting from now. */
  readonly lastEventId?: string;
  /**
   * The server's heartbeat interval (SSE_HEARTBEAT_MS). By default it is read from the SSE
   * response's `Heartbeat-Interval-Ms` header, else 15000. A connection that sends nothing for
   * twice this long is treated as stalled (a buffering proxy): `auto` then falls back to long
   * polling. The WebSocket transport pings at this interval.
   */
  readonly heartbeatMs?: number;
  /** How long the server may hold one long poll (1 to 55 seconds; default 25). */
  readonly longPollTimeoutSeconds?: number;
  /** Share one connection across this origin's tabs (default true where the browser can). */
  readonly share?: boolean;
  /** Reconnect delays: exponential from `initialMs` to `maxMs`, with jitter. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
}

export type Listener<T> = (event: T) => void;

export interface NotifyClient {
  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ClientEvents>(type: K, listener: Listener<ClientEvents[K]>): () => void;
  off<K extends keyof ClientEvents>(type: K, listener: Listener<ClientEvents[K]>): void;
  readonly status: Status;
  /** Closes the connection (a leader hands it over to another tab). */
  close(): void;
}
