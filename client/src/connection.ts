import { backoffDelay, type BackoffOptions } from './backoff.js';
import type {
  OpenTransport,
  TransportEnd,
  TransportRegistry,
  TransportRun,
} from './transports/transport.js';
import type { ConnectionState, Notification, Status, TransportName } from './types.js';

export interface ConnectionSettings {
  readonly baseUrl: string;
  readonly channels: readonly string[];
  readonly transport: 'auto' | TransportName;
  readonly heartbeatMs: number | undefined;
  readonly longPollTimeoutSeconds: number;
  readonly backoff: BackoffOptions;
  readonly tokens: TokenSource;
  readonly transports: TransportRegistry;
}

export interface TokenSource {
  /** The token to use now. */
  current(): Promise<string>;
  /** A fresh token after the server refused the current one; null when there is no way to get one. */
  refresh(): Promise<string | null>;
  /** Whether `refresh` can get a new token (a `getToken` was given). */
  readonly renewable: boolean;
}

export interface ConnectionEvents {
  notification(n: Notification): void;
  reset(id: string): void;
  status(s: ConnectionStatus): void;
}

export type ConnectionStatus = Omit<Status, 'role'>;

/**
 * One server connection and its life: picks the transport, resumes from the cursor on every
 * reconnect, backs off with jitter, refreshes the token on 401, and in `auto` mode moves from SSE
 * to long polling when SSE cannot be opened or stalls. It speaks to no other tab.
 */
export class Connection {
  private cursor: string | null;
  private run: TransportRun | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private attempt = 0;
  private active: TransportName;
  private sseEverOpened = false;
  private state: ConnectionState = 'connecting';
  private heartbeats = 0;
  private lastHeartbeatAt: number | null = null;
  private error: string | null = null;

  constructor(
    private readonly settings: ConnectionSettings,
    cursor: string | null,
    private readonly events: ConnectionEvents,
  ) {
    this.cursor = cursor;
    this.active = settings.transport === 'auto' ? 'sse' : settings.transport;
  }

  start(): void {
    this.publishStatus();
    void this.connect(false);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.run?.stop();
    this.run = null;
  }

  get status(): ConnectionStatus {
    return {
      state: this.state,
      transport: this.active,
      lastEventId: this.cursor,
      heartbeats: this.heartbeats,
      lastHeartbeatAt: this.lastHeartbeatAt,
      error: this.error,
    };
  }

  private async connect(refreshToken: boolean): Promise<void> {
    let token: string | null;
    try {
      token = refreshToken
        ? await this.settings.tokens.refresh()
        : await this.settings.tokens.current();
    } catch (err) {
      return this.retry(`could not get a token: ${String(err)}`);
    }
    if (this.stopped) return;
    if (token === null)
      return this.fail('the token was refused and there is no getToken to renew it');
    const open: OpenTransport = this.settings.transports[this.active];
    const run = open(
      {
        baseUrl: this.settings.baseUrl,
        token,
        cursor: this.cursor,
        channels: this.settings.channels,
        heartbeatMs: this.settings.heartbeatMs,
        longPollTimeoutSeconds: this.settings.longPollTimeoutSeconds,
      },
      {
        opened: () => {
          if (this.active === 'sse') this.sseEverOpened = true;
          this.attempt = 0;
          this.heartbeats = 0;
          this.lastHeartbeatAt = null;
          this.setState('open', null);
        },
        notification: (n) => {
          this.cursor = n.id;
          this.events.notification(n);
          this.publishStatus();
        },
        reset: (id) => {
          this.cursor = id;
          this.events.reset(id);
          this.publishStatus();
        },
        cursor: (id) => {
          if (id === this.cursor) return;
          this.cursor = id;
          this.publishStatus();
        },
        heartbeat: () => {
          this.heartbeats++;
          this.lastHeartbeatAt = Date.now();
          this.publishStatus();
        },
      },
    );
    this.run = run;
    const end = await run.ended;
    if (this.stopped || this.run !== run) return;
    this.run = null;
    this.onEnd(end, refreshToken);
  }

  private onEnd(end: TransportEnd, afterRefresh: boolean): void {
    switch (end.kind) {
      case 'unauthorized':
        // A fresh token refused at once is not an expiry: back off instead of looping.
        if (afterRefresh) return this.retry('the refreshed token was refused', undefined, true);
        this.setState('reconnecting', 'token expired');
        return void this.connect(true);
      case 'rejected':
        return this.fail(end.reason);
      case 'unavailable':
      case 'stalled':
        if (this.shouldFallBack(end)) {
          this.active = 'longpoll';
          this.setState(
            'reconnecting',
            end.kind === 'stalled' ? 'SSE stalled' : `SSE ${end.reason}`,
          );
          return void this.connect(false);
        }
        // A refused WebSocket handshake hides its HTTP status: it may have been an expired token.
        return this.retry(
          end.kind === 'stalled' ? 'stalled' : end.reason,
          0,
          end.kind === 'unavailable' && this.active === 'ws' && this.settings.tokens.renewable,
        );
      case 'dropped':
        return this.retry(end.reason, end.retryAfterMs);
    }
  }

  /** SSE that never worked in this session, or that stalls, will not get better by retrying. */
  private shouldFallBack(end: TransportEnd): boolean {
    if (this.settings.transport !== 'auto' || this.active !== 'sse') return false;
    return end.kind === 'stalled' || !this.sseEverOpened;
  }

  private retry(reason: string, atLeastMs = 0, refreshToken = false): void {
    const delay = Math.max(atLeastMs, backoffDelay(this.attempt++, this.settings.backoff));
    this.setState('reconnecting', reason);
    this.timer = setTimeout(() => void this.connect(refreshToken), delay);
  }

  private fail(reason: string): void {
    this.stopped = true;
    this.setState('closed', reason);
  }

  private setState(state: ConnectionState, error: string | null): void {
    this.state = state;
    this.error = error;
    this.publishStatus();
  }

  private publishStatus(): void {
    if (!this.stopped || this.state === 'closed') this.events.status(this.status);
  }
}
