import type { Subscription } from 'rxjs';
import type { Clock } from '../../common/clock.js';
import { formatEventId, type Cursor } from '../../cursor/event-id.js';
import type { NotificationStreams, StreamItem } from '../../hub/notification-streams.js';
import type { StoredNotification } from '../../notifications/notification.js';
import { MAX_CHANNELS_PER_CONNECTION } from '../stream-query.js';
import {
  decodeClientFrame,
  errorFrame,
  notificationFrame,
  pongFrame,
  resetFrame,
  subscribedFrame,
  unsubscribedFrame,
  WsClose,
} from './ws-protocol.js';
import { WsRateLimiter } from './ws-rate-limiter.js';
import type { Corkable, TurnWrites } from '../turn-writes.js';

/** The peer's TCP socket: corked while more writes may join, and written shared frames as-is. */
export interface WsSocket extends Corkable {
  /** Bytes written and not yet sent: with no extensions, all that `ws` buffers for the peer. */
  readonly writableLength: number;
  write(frame: Buffer): boolean;
}

/** The part of a `ws` WebSocket a session uses (a fake stands in for it in unit tests). */
export interface WsPeer {
  readonly readyState: number;
  send(data: string, options: { binary: boolean }): void;
  ping(): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

export interface WsSessionSettings {
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly ratePerSecond: number;
  readonly rateBurst: number;
  /** What a socket is sent in one batch, or in one turn when busy, leaves in one write. */
  readonly writes: TurnWrites;
}

export type WsCloseCause = 'slow_consumer' | 'flooding' | 'pong_timeout' | 'token_expired';

/** What a session reports, for metrics. */
export interface WsSessionEvents {
  delivered(n: StoredNotification): void;
  pinged(): void;
  closedBy(cause: WsCloseCause): void;
}

const OPEN = 1;
// The session's own messages are JSON text (shared notification frames come whole, as bytes).
const TEXT = { binary: false } as const;

/**
 * One socket's protocol: its channel set, its cursor, its heartbeat and its limits. It owns one
 * stream from NotificationStreams (every channel, filtered here, so subscribing to a further
 * channel later needs no new stream and the cursor stays one position for the whole socket).
 */
export class WsSession {
  private readonly channels = new Set<string>();
  private readonly limiter: WsRateLimiter;
  private stream?: Subscription;
  /** The last position this socket reached: a notification delivered, a reset or the start. */
  private cursor: string | undefined;
  private pongTimer?: NodeJS.Timeout;
  private expiryTimer?: NodeJS.Timeout;
  private closeTimer?: NodeJS.Timeout;
  private ended = false;
  /** Subscribes waiting for the stream's start position to be acknowledged. */
  private acksDue = 0;

  constructor(
    private readonly peer: WsPeer,
    private readonly socket: WsSocket,
    private readonly userId: string,
    private readonly tokenExpiresAt: number,
    private readonly streams: NotificationStreams,
    private readonly settings: WsSessionSettings,
    private readonly clock: Clock,
    private readonly events: WsSessionEvents,
  ) {
    this.limiter = new WsRateLimiter(
      { perSecond: settings.ratePerSecond, burst: settings.rateBurst },
      clock,
    );
    this.checkExpiry();
  }

  onMessage(data: Buffer | string, isBinary: boolean): void {
    if (this.ended) return;
    const verdict = this.limiter.take();
    if (verdict === 'close') {
      this.closeBy('flooding', WsClose.policyViolation, 'rate limit exceeded');
      return;
    }
    if (verdict === 'refuse') {
      if (this.limiter.firstRefusal) {
        this.send(
          errorFrame(
            'rate_limited',
            `at most ${this.settings.ratePerSecond} frames per second; frames over it are dropped`,
          ),
        );
      }
      return;
    }
    const decoded = decodeClientFrame(data, isBinary);
    if (!decoded.ok) {
      this.send(errorFrame(decoded.code, decoded.message));
      return;
    }
    const m = decoded.message;
    switch (m.event) {
      case 'ping':
        this.send(pongFrame(m.data));
        return;
      case 'unsubscribe':
        for (const c of m.channels) this.channels.delete(c);
        this.send(unsubscribedFrame(this.channels));
        return;
      case 'subscribe':
        this.subscribe(m.channels, m.after);
        return;
    }
  }

  onPong(): void {
    clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }

  /** Stops everything the session started; called once the socket has closed. */
  dispose(): void {
    this.ended = true;
    clearTimeout(this.pongTimer);
    clearTimeout(this.expiryTimer);
    clearTimeout(this.closeTimer);
    this.stream?.unsubscribe();
  }

  private subscribe(channels: readonly string[], after: Cursor | null): void {
    if (new Set([...this.channels, ...channels]).size > MAX_CHANNELS_PER_CONNECTION) {
      this.send(
        errorFrame('bad_request', `at most ${MAX_CHANNELS_PER_CONNECTION} channels per socket`),
      );
      return;
    }
    for (const c of channels) this.channels.add(c);
    if (after === null && this.stream) {
      // Channels added to a running stream start live from here, so the ack can go at once,
      // unless the stream has not reported its start yet: then it goes out with that.
      if (this.cursor === undefined) this.acksDue++;
      else this.send(subscribedFrame(this.channels, this.cursor));
      return;
    }
    this.stream?.unsubscribe();
    this.cursor = after ? formatEventId(after.epoch, after.seq) : undefined;
    this.acksDue++;
    this.stream = this.streams.open(this.userId, { after, channels: null }).subscribe(this);
    // A resumed stream delivers everything after the cursor, replay first: acknowledge at once.
    if (this.cursor !== undefined) this.flushAcks(this.cursor);
  }

  private flushAcks(id: string): void {
    for (; this.acksDue > 0; this.acksDue--) this.send(subscribedFrame(this.channels, id));
  }

  /**
   * The session observes its stream itself (`next`, `error`, `complete`): an observer object of
   * closures would cost every socket a few hundred bytes for as long as it is open.
   */
  next(item: StreamItem): void {
    switch (item.kind) {
      case 'position':
        // The stream reports its start once live delivery is in place: whatever is published
        // after the client reads this ack reaches it.
        this.cursor = item.id;
        this.flushAcks(item.id);
        return;
      case 'reset':
        this.cursor = item.id;
        this.send(resetFrame(item.id));
        return;
      case 'notification':
        this.cursor = item.notification.id;
        if (this.channels.has(item.notification.channel)) {
          this.send(notificationFrame(item.notification));
          this.events.delivered(item.notification);
        }
        return;
    }
  }

  error(): void {
    this.send(errorFrame('internal_error', 'the notification stream failed; reconnect'));
    this.close(WsClose.internalError, 'stream failed');
  }

  complete(): void {
    this.close(WsClose.serviceRestart, 'server closing');
  }

  /**
   * A Buffer is a complete WebSocket frame shared by every recipient (a notification): it goes to
   * the socket as-is. ws writes each frame whole and at once, and with no extensions nothing of
   * its own is in flight between them. The session's own messages (text) go through ws.
   */
  private send(frame: string | Buffer): void {
    if (this.ended || this.peer.readyState !== OPEN) return;
    this.settings.writes.hold(this.socket);
    if (typeof frame === 'string') this.peer.send(frame, TEXT);
    else this.socket.write(frame);
    // Buffering without bound for a client that does not read would let one slow reader exhaust
    // memory; it resumes by cursor when it reconnects. (The socket's count rather than the
    // peer's `bufferedAmount`, which adds what ws queues only when compressing: the socket is
    // the one object of the two a delivery touches anyway.)
    if (this.socket.writableLength > this.settings.maxBufferedBytes) {
      this.closeBy('slow_consumer', WsClose.tryAgainLater, 'too slow; reconnect and resume');
    }
  }

  /**
   * Called every `pingIntervalMs` by the gateway's heartbeat wheel (one timer for all sockets):
   * pings the peer, which must answer within `pongTimeoutMs`, and checks the token's lifetime.
   */
  heartbeat(): void {
    this.checkExpiry();
    if (this.ended || this.pongTimer || this.peer.readyState !== OPEN) return;
    this.pongTimer = setTimeout(() => {
      this.events.closedBy('pong_timeout');
      this.ended = true;
      this.peer.terminate();
    }, this.settings.pongTimeoutMs);
    this.peer.ping();
    this.events.pinged();
  }

  /**
   * A timer for the token's expiry is armed only once it is at most two heartbeats away (a
   * heartbeat comes at least once per `pingIntervalMs`): a socket whose token lives for hours
   * holds no timer of its own until then.
   */
  private checkExpiry(): void {
    if (this.ended || this.expiryTimer) return;
    const wait = this.tokenExpiresAt - this.clock.now();
    if (wait <= 0) {
      this.closeBy('token_expired', WsClose.tokenExpired, 'token expired');
    } else if (wait <= 2 * this.settings.pingIntervalMs) {
      this.expiryTimer = setTimeout(() => {
        this.expiryTimer = undefined;
        this.checkExpiry();
      }, wait);
    }
  }

  private closeBy(cause: WsCloseCause, code: number, reason: string): void {
    if (this.ended) return;
    this.events.closedBy(cause);
    this.close(code, reason);
  }

  /** Closes the socket from the server side (also the graceful drain's way out). */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.stream?.unsubscribe();
    this.peer.close(code, reason);
    // The close frame queues behind unsent data: a client that reads nothing would hold its slot
    // until the library's own 30 s timeout. It gets as long to finish as it would to answer a ping.
    this.closeTimer = setTimeout(() => this.peer.terminate(), this.settings.pongTimeoutMs);
  }
}
