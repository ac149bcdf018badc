import type { Observable } from 'rxjs';
import type { Cursor } from '../cursor/event-id.js';
import type { NotificationInput, StoredNotification } from '../notifications/notification.js';

export interface AppendResult {
  /** The event id: the new notification's, or for a duplicate the one the original got. */
  readonly id: string;
  /** True when the producer id was seen within the dedupe window: nothing new was stored. */
  readonly duplicate: boolean;
}

export interface ReadOptions {
  /** Only these channels; `null` for all. */
  readonly channels: ReadonlySet<string> | null;
  readonly limit: number;
}

export type ReadResult =
  | {
      readonly kind: 'events';
      /** Oldest first, all strictly after the cursor, none expired. */
      readonly events: StoredNotification[];
      /** More events after the last one returned (read again from it). */
      readonly hasMore: boolean;
    }
  /** The cursor is from another epoch, ahead of the sequence, or older than what is retained. */
  | { readonly kind: 'reset'; readonly head: string };

/**
 * Where notifications are numbered, deduplicated, retained and published. `append` is atomic per
 * notification: its id is assigned, it is stored, and it is handed to the feed in id order, so a
 * reader that subscribes to the feed and then reads history never misses one.
 */
export interface HistoryStore {
  append(batch: readonly NotificationInput[]): Promise<AppendResult[]>;
  /**
   * Notifications for `userId` (and broadcasts) strictly after `after`; with `null`, from the
   * oldest retained one (an inbox listing: never a reset).
   */
  read(userId: string, after: Cursor | null, options: ReadOptions): Promise<ReadResult>;
  /** The id of the newest notification (or of the start of the sequence). */
  head(): Promise<string>;
  /** Current number of retained notifications (metrics). */
  size(): number;
  close(): Promise<void>;
}

/**
 * The live side: every appended notification, in id order, to the one hub of this process.
 * `watch` resolves once notifications for that user are certain to arrive (for Redis, once the
 * SUBSCRIBE is acknowledged): the resume logic reads history only after that.
 */
export interface NotificationFeed {
  readonly notifications$: Observable<StoredNotification>;
  watch(userId: string): Promise<void>;
  unwatch(userId: string): void;
}
