import { Subject } from 'rxjs';
import type { StoredNotification } from '../notifications/notification.js';
import type { NotificationFeed } from './history-store.js';

/** Single-process feed: the store pushes straight into the hub, synchronously and in id order. */
export class MemoryFeed implements NotificationFeed {
  private readonly subject = new Subject<StoredNotification>();
  readonly notifications$ = this.subject.asObservable();

  publish(n: StoredNotification): void {
    this.subject.next(n);
  }

  watch(): Promise<void> {
    return Promise.resolve();
  }

  unwatch(): void {}

  complete(): void {
    this.subject.complete();
  }
}
