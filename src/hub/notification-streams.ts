import { Observable } from 'rxjs';
import type { Clock } from '../common/clock.js';
import { parseEventId, type Cursor } from '../cursor/event-id.js';
import type { HistoryStore } from '../history/history-store.js';
import type { StoredNotification } from '../notifications/notification.js';
import type { NotificationHub } from './notification-hub.js';

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
      let last = -1;
      let buffer: StoredNotification[] | null = [];
      let detach: (() => void) | undefined;
      let closed = false;

      const pass = (n: StoredNotification) => {
        if (n.seq <= last) return;
        last = n.seq;
        if (options.channels !== null && !options.channels.has(n.channel)) return;
        if (n.expiresAt !== 0 && n.expiresAt <= this.clock.now()) return;
        subscriber.next({ kind: 'notification', notification: n });
      };
      const onLive = (n: StoredNotification) => {
        if (buffer) buffer.push(n);
        else pass(n);
      };
      const stopOnClose = this.hub.onClose(() => subscriber.complete());

      const start = async () => {
        const d = await this.hub.attach(userId, onLive);
        if (closed) return d();
        detach = d;
        if (options.after === null) {
          const head = await this.history.head();
          last = seqOf(head);
          if (!closed) subscriber.next({ kind: 'position', id: head });
        } else {
          await this.replay(
            userId,
            options,
            subscriber,
            (n) => pass(n),
            (seq) => (last = seq),
          );
        }
        const pending = buffer ?? [];
        buffer = null;
        for (const n of pending) pass(n);
        if (!closed) options.onCaughtUp?.();
      };
      start().catch((err) => subscriber.error(err));

      return () => {
        closed = true;
        stopOnClose();
        detach?.();
      };
    });
  }

  private async replay(
    userId: string,
    options: StreamOptions,
    subscriber: { next(item: StreamItem): void; closed: boolean },
    pass: (n: StoredNotification) => void,
    setLast: (seq: number) => void,
  ): Promise<void> {
    let after = options.after!;
    setLast(after.seq);
    for (;;) {
      const page = await this.history.read(userId, after, {
        channels: options.channels,
        limit: REPLAY_PAGE,
      });
      if (subscriber.closed) return;
      if (page.kind === 'reset') {
        setLast(seqOf(page.head));
        subscriber.next({ kind: 'reset', id: page.head });
        return;
      }
      for (const n of page.events) pass(n);
      if (!page.hasMore) return;
      after = { epoch: after.epoch, seq: page.events.at(-1)!.seq };
    }
  }
}

function seqOf(id: string): number {
  return parseEventId(id)!.seq;
}
