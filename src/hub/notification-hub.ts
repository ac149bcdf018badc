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
  /**
   * A user's one listener itself, or a set once it has several: most users hold one connection,
   * and a delivery to it then reads no set (two more objects, cold at volume) on the way.
   */
  private readonly byUser = new Map<string, HubListener | Set<HubListener>>();
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
    const held = this.byUser.get(userId);
    if (held === listener || (held instanceof Set && held.has(listener))) return;
    if (held === undefined) this.byUser.set(userId, listener);
    else if (held instanceof Set) held.add(listener);
    else this.byUser.set(userId, new Set([held, listener]));
    this.listeners++;
    if (held === undefined) {
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
    const held = this.byUser.get(userId);
    if (held instanceof Set) {
      if (!held.delete(listener)) return;
      this.listeners--;
      if (held.size === 1) this.byUser.set(userId, held.values().next().value!);
      return;
    }
    if (held !== listener) return;
    this.listeners--;
    this.byUser.delete(userId);
    this.feed.unwatch(userId);
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
    const all = [...this.byUser.values()].flatMap((held) =>
      held instanceof Set ? [...held] : [held],
    );
    for (const listener of all) listener.hubClosed();
  }

  private route(n: StoredNotification): void {
    if (n.userIds === null) {
      for (const held of this.byUser.values()) deliver(held, n);
      return;
    }
    for (const userId of n.userIds) {
      const held = this.byUser.get(userId);
      if (held !== undefined) deliver(held, n);
    }
  }
}

function deliver(held: HubListener | Set<HubListener>, n: StoredNotification): void {
  if (!(held instanceof Set)) return deliverTo(held, n);
  for (const listener of held) deliverTo(listener, n);
}

function deliverTo(listener: HubListener, n: StoredNotification): void {
  try {
    listener.deliver(n);
  } catch {
    // One broken connection must not stop delivery to the others; its transport closes it.
  }
}
