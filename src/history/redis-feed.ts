import type { Redis } from 'ioredis';
import { Subject } from 'rxjs';
import { decodeMessage } from '../redis/redis-notification.encoding.js';
import type { StoredNotification } from '../notifications/notification.js';
import type { NotificationFeed } from './history-store.js';

/** Reads what a replica's subscription may have missed while it was down. */
export type CatchUp = (
  userIds: readonly string[],
  afterSeq: number,
) => Promise<{ epoch: string; notifications: StoredNotification[] }>;

/**
 * The replica's live side in Redis mode: one subscriber connection, subscribed to the channel of
 * each user connected here (plus broadcast), so a notification reaches only the replicas that hold
 * its users. Messages arrive in sequence order (the append script publishes them) and go to the
 * local hub unchanged.
 *
 * When the subscription drops, messages published meanwhile are gone from pub/sub but not from
 * history: on reconnect, live messages wait while the streams of every watched user are read
 * after the last sequence seen, and both go to the hub in order. Streams drop what they already
 * had, so live connections stay open and miss nothing.
 */
export class RedisFeed implements NotificationFeed {
  private readonly subject = new Subject<StoredNotification>();
  readonly notifications$ = this.subject.asObservable();
  private readonly watched = new Set<string>();
  private lastSeq = 0;
  private epoch: string | undefined;
  /** Live messages held while catching up after a reconnect; `null` when delivering directly. */
  private held: StoredNotification[] | null = null;
  private everReady: boolean;
  private readonly userPrefix: string;
  private readonly broadcastChannel: string;

  constructor(
    private readonly subscriber: Redis,
    prefix: string,
    private readonly catchUp: CatchUp,
    private readonly onError: (err: unknown) => void,
  ) {
    this.userPrefix = `${prefix}c:u:`;
    this.broadcastChannel = `${prefix}c:b`;
    subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
    // Usually already connected when the feed is built; only a later 'ready' is a reconnect.
    this.everReady = subscriber.status === 'ready';
    subscriber.on('close', () => (this.held ??= []));
    subscriber.on('ready', () => {
      if (this.everReady) void this.resync();
      this.everReady = true;
    });
  }

  /** Subscribes to broadcast; call once, after the subscriber connected. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.broadcastChannel);
    this.held = null;
  }

  async watch(userId: string): Promise<void> {
    this.watched.add(userId);
    await this.subscriber.subscribe(this.userPrefix + userId);
  }

  unwatch(userId: string): void {
    this.watched.delete(userId);
    this.subscriber.unsubscribe(this.userPrefix + userId).catch(() => undefined);
  }

  complete(): void {
    this.subject.complete();
  }

  private receive(channel: string, message: string): void {
    const userId = channel === this.broadcastChannel ? null : channel.slice(this.userPrefix.length);
    if (userId !== null && !this.watched.has(userId)) return;
    const n = decodeMessage(message, userId);
    if (this.held) {
      this.held.push(n);
      return;
    }
    const { epoch } = n;
    // A new epoch is a new sequence: the old high-water mark would hide all of it from a catch-up.
    this.lastSeq = epoch === this.epoch ? Math.max(this.lastSeq, n.seq) : n.seq;
    this.epoch = epoch;
    this.subject.next(n);
  }

  private async resync(): Promise<void> {
    try {
      // ioredis resubscribes on its own; waiting for our own SUBSCRIBE's ack means it is done.
      const users = [...this.watched];
      await this.subscriber.subscribe(
        this.broadcastChannel,
        ...users.map((u) => this.userPrefix + u),
      );
      let missed = await this.catchUp(users, this.lastSeq);
      // A flushed Redis starts a new sequence: nothing of the old one can be caught up, and all
      // of the new one is news, from its start (published before this subscription was back).
      if (this.epoch !== undefined && missed.epoch !== this.epoch) {
        missed = await this.catchUp(users, 0);
        this.lastSeq = 0;
      }
      const held = this.held ?? [];
      this.held = null;
      this.epoch = missed.epoch;
      const seen = new Set<string>();
      const all = [...missed.notifications, ...held].sort((a, b) => a.seq - b.seq);
      for (const n of all) {
        const key = `${n.seq}:${n.userIds?.[0] ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (n.userIds !== null && !this.watched.has(n.userIds[0])) continue;
        this.lastSeq = Math.max(this.lastSeq, n.seq);
        this.subject.next(n);
      }
    } catch (err) {
      // Still holding live messages: retried on the next 'ready', or soon if Redis is up.
      this.onError(err);
      if (this.subscriber.status === 'ready') setTimeout(() => void this.resync(), 1000).unref();
    }
  }
}
