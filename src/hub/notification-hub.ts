import type { Subscription } from 'rxjs';
import type { NotificationFeed } from '../history/history-store.js';
import type { StoredNotification } from '../notifications/notification.js';

/**
 * What the hub delivers to: one per open stream. An object, not a pair of callbacks, so a stream
 * costs the hub one set entry and no closures for as long as it is open.
 */
export interface HubListener {
  deliver(n: StoredNotification): void;
  /** The hub is closing: nothing more will come. */
  hubClosed(): void;
}

/**
 * Routes each notification from the feed to the listeners of its recipients, and nothing else.
 * Listeners are indexed by user, so a unicast costs O(recipients) whatever the number of
 * connected users; a broadcast visits every listener once.
 */
export class NotificationHub {
  private readonly byUser = new Map<string, Set<HubListener>>();
  private listeners = 0;
  private readonly subscription: Subscription;

  constructor(private readonly feed: NotificationFeed) {
    this.subscription = feed.notifications$.subscribe((n) => this.route(n));
  }

  /**
   * Adds a listener for one user; it receives notifications at once. Resolves once delivery is
   * guaranteed for everything the store appends from then on.
   */
  async attach(userId: string, listener: HubListener): Promise<void> {
    let set = this.byUser.get(userId);
    const first = !set;
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(listener);
    this.listeners++;
    if (first) {
      try {
        await this.feed.watch(userId);
      } catch (err) {
        this.detach(userId, listener);
        throw err;
      }
    }
  }

  /** Removes a listener (idempotent); the last one of a user stops watching that user. */
  detach(userId: string, listener: HubListener): void {
    const set = this.byUser.get(userId);
    if (!set?.delete(listener)) return;
    this.listeners--;
    if (set.size === 0) {
      this.byUser.delete(userId);
      this.feed.unwatch(userId);
    }
  }

  get connectedUsers(): number {
    return this.byUser.size;
  }

  get listenerCount(): number {
    return this.listeners;
  }

  /** Stops routing and tells every listener, so streams can end cleanly. */
  close(): void {
    this.subscription.unsubscribe();
    const all = [...this.byUser.values()].flatMap((set) => [...set]);
    for (const listener of all) listener.hubClosed();
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

  private deliver(set: Set<HubListener>, n: StoredNotification): void {
    for (const listener of set) {
      try {
        listener.deliver(n);
      } catch {
        // One broken connection must not stop delivery to the others; its transport closes it.
      }
    }
  }
}
