import { Observable, type Subscriber } from 'rxjs';
import type { Clock } from '../common/clock.js';
import { formatEventId, parseEventId, type Cursor } from '../cursor/event-id.js';
import type { HistoryStore } from '../history/history-store.js';
import type { StoredNotification } from '../notifications/notification.js';
import type { HubListener, NotificationHub } from './notification-hub.js';

export type StreamItem =
  | { readonly kind: 'notification'; readonly notification: StoredNotification }
  /** The cursor could not be resumed: the client should refetch its state, then continue from `id`. */
  | { readonly kind: 'reset'; readonly id: string }
  /** Where a stream opened without a cursor starts, so even a client that received nothing can resume. */
  | { readonly kind: 'position'; readonly id: string };

export interface StreamOptions {
  readonly after: Cursor | null;
  readonly channels: ReadonlySet<string> | null;
  /** Called once the replay (or the head lookup) is done and delivery is live. */
  readonly onCaughtUp?: () => void;
}

const REPLAY_PAGE = 500;

/**
 * One user's notifications from a cursor: what history holds after it, then live, with no gap and
 * no duplicate. The live listener is attached before history is read; live notifications that
 * arrive during the replay wait in a buffer and are let through only if newer than the last one
 * replayed. Every transport (SSE, WebSocket, long polling) resumes through this.
 */
export class NotificationStreams {
  constructor(
    private readonly hub: NotificationHub,
    private readonly history: HistoryStore,
    private readonly clock: Clock,
  ) {}

  open(userId: string, options: StreamOptions): Observable<StreamItem> {
    return new Observable<StreamItem>((subscriber) => {
      const stream = new UserStream(
        userId,
        options,
        subscriber,
        this.hub,
        this.history,
        this.clock,
      );
      stream.start().catch((err) => subscriber.error(err));
      return stream;
    });
  }
}

/**
 * One subscription's state. A class with methods rather than closures: it lives as long as its
 * connection, and is at once the hub's listener and the subscription's teardown.
 */
class UserStream implements HubListener {
  /** Seq of the last notification let through (or replayed past): nothing at or below it again. */
  private last = -1;
  /** The sequence `last` belongs to. */
  private epoch = '';
  /** Live notifications held while the replay runs; `null` once live. */
  private buffer: StoredNotification[] | null = [];
  private attached = false;
  private closed = false;
  private readonly channels: ReadonlySet<string> | null;

  constructor(
    private readonly userId: string,
    private readonly options: StreamOptions,
    private readonly subscriber: Subscriber<StreamItem>,
    private readonly hub: NotificationHub,
    private readonly history: HistoryStore,
    private readonly clock: Clock,
  ) {
    this.channels = options.channels;
  }

  async start(): Promise<void> {
    await this.hub.attach(this.userId, this);
    if (this.closed) return this.hub.detach(this.userId, this);
    this.attached = true;
    if (this.options.after === null) {
      const head = await this.history.head();
      this.moveTo(parseEventId(head)!);
      if (!this.closed) this.subscriber.next({ kind: 'position', id: head });
    } else {
      await this.replay(this.options.after);
    }
    const pending = this.buffer ?? [];
    this.buffer = null;
    for (const n of pending) this.pass(n);
    if (!this.closed) this.options.onCaughtUp?.();
  }

  deliver(n: StoredNotification): void {
    if (this.buffer) this.buffer.push(n);
    else this.pass(n);
  }

  hubClosed(): void {
    this.subscriber.complete();
  }

  /** The subscription's teardown. */
  unsubscribe(): void {
    this.closed = true;
    // Until attach resolves, start() detaches once it does.
    if (this.attached) this.hub.detach(this.userId, this);
  }

  private pass(n: StoredNotification): void {
    if (n.epoch !== this.epoch) {
      // History started a new sequence (Redis came back empty): the position held here means
      // nothing in it, and what the new one numbered before this may not have reached us. The
      // client refetches its state and continues from just before this notification.
      const reset = { epoch: n.epoch, seq: n.seq - 1 };
      this.moveTo(reset);
      this.subscriber.next({ kind: 'reset', id: formatEventId(reset.epoch, reset.seq) });
    }
    // The notification's own string from here on, which every later one shares: the next
    // comparison is by pointer, not a read of this stream's copy of the text.
    this.epoch = n.epoch;
    if (n.seq <= this.last) return;
    this.last = n.seq;
    const { channels } = this;
    if (channels !== null && !channels.has(n.channel)) return;
    if (n.expiresAt !== 0 && n.expiresAt <= this.clock.now()) return;
    this.subscriber.next({ kind: 'notification', notification: n });
  }

  /** Takes `cursor` as the stream's position. */
  private moveTo(cursor: Cursor): void {
    this.last = cursor.seq;
    this.epoch = cursor.epoch;
  }

  private async replay(from: Cursor): Promise<void> {
    let after = from;
    this.moveTo(after);
    for (;;) {
      const page = await this.history.read(this.userId, after, {
        channels: this.channels,
        limit: REPLAY_PAGE,
      });
      if (this.subscriber.closed) return;
      if (page.kind === 'reset') {
        this.moveTo(parseEventId(page.head)!);
        this.subscriber.next({ kind: 'reset', id: page.head });
        return;
      }
      for (const n of page.events) this.pass(n);
      if (!page.hasMore) return;
      after = { epoch: after.epoch, seq: page.events.at(-1)!.seq };
    }
  }
}
