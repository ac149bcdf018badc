import type { Subscription } from 'rxjs';
import type { NotificationFeed } from '../history/history-store.js';
import type { StoredNotification } from '../notifications/notification.js';

export type Listener = (n: StoredNotification) => void;

/**
 * Routes each notification from the feed to the listeners of its recipients, and nothing else.
 * Listeners are indexed by user, so a unicast costs O(recipients) whatever the number of
 * connected users; a broadcast visits every listener once.
 */
export class NotificationHub {
  private readonly byUser = new Map<string, Set<Listener>>();
  private listeners = 0;
  private readonly subscription: Subscription;
  private readonly closed$ = new Set<() => void>();

  constructor(private readonly feed: NotificationFeed) {
    this.subscription = feed.notifications$.subscribe((n) => this.route(n));
  }

  /**
   * Adds a listener for one user. Resolves once delivery is guaranteed for everything the store
   * appends from then on. The returned function removes it (idempotent).
   */
  async attach(userId: string, listener: Listener): Promise<() => void> {
    let set = this.byUser.get(userId);
    const first = !set;
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(listener);
    this.listeners++;
    let attached = true;
    const detach = () => {
      if (!attached) return;
      attached = false;
      this.listeners--;
      const current = this.byUser.get(userId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) {
        this.byUser.delete(userId);
        this.feed.unwatch(userId);
      }
    };
    if (first) {
      try {
        await this.feed.watch(userId);
      } catch (err) {
        detach();
        throw err;
      }
    }
    return detach;
  }

  /** Called when the hub shuts down, so streams can end cleanly. */
  onClose(fn: () => void): () => void {
    this.closed$.add(fn);
    return () => this.closed$.delete(fn);
  }

  get connectedUsers(): number {
    return this.byUser.size;
  }

  get listenerCount(): number {
    return this.listeners;
  }

  close(): void {
    this.subscription.unsubscribe();
    for (const fn of [...this.closed$]) fn();
    this.closed$.clear();
  }

  private route(n: StoredNotification): void {
    if (n.userIds === null) {
      for (const set of this.byUser.values()) this.deliver(set, n);
      return;
    }
    for (const userId of n.userIds) {
      const set = this.byUser.get(userId);
      if (set) this.deliver(set, n);
    }
  }

  private deliver(set: Set<Listener>, n: StoredNotification): void {
    for (const listener of set) {
      try {
        listener(n);
      } catch {
        // One broken connection must not stop delivery to the others; its transport closes it.
      }
    }
  }
}
