import { afterEach, describe, expect, it } from '@jest/globals';
import type { ConnectionEvents, ConnectionStatus } from './connection.js';
import { SharedConnection, type LeaderConnection } from './shared-connection.js';
import type { Notification, Status } from './types.js';

// Node 24 has the Web Locks API and BroadcastChannel, so two "tabs" can share in one process.

/** Records what one tab sees and lets a test await a condition on it. */
class Tab {
  readonly notifications: string[] = [];
  readonly statuses: Status[] = [];
  /** Each connection this tab opened as leader, with the cursor it started from. */
  readonly led: { cursor: string | null; events: ConnectionEvents; stopped: boolean }[] = [];
  private waiters: (() => void)[] = [];
  readonly shared: SharedConnection;
  /** The tab's document, as far as freezing goes. */
  readonly lifecycle = new EventTarget();

  constructor(name: string) {
    this.shared = new SharedConnection(
      name,
      null,
      (cursor, events) => {
        const entry = { cursor, events, stopped: false };
        this.led.push(entry);
        this.changed();
        const connection: LeaderConnection = {
          start: () => events.status(status(cursor)),
          stop: () => (entry.stopped = true),
          status: status(cursor),
        };
        return connection;
      },
      {
        notification: (n) => {
          this.notifications.push(n.id);
          this.changed();
        },
        reset: () => undefined,
        status: (s) => {
          this.statuses.push(s);
          this.changed();
        },
      },
      this.lifecycle,
    );
    this.shared.start();
  }

  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = () => {
        if (!check()) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  private changed(): void {
    for (const w of [...this.waiters]) w();
  }
}

const status = (lastEventId: string | null): ConnectionStatus => ({
  state: 'open',
  transport: 'sse',
  lastEventId,
  heartbeats: 0,
  lastHeartbeatAt: null,
  error: null,
});
const note = (id: string): Notification => ({
  id,
  channel: 'chat',
  type: 't',
  payload: null,
  createdAt: '2026-01-01T00:00:00Z',
});

let n = 0;
const tabs: Tab[] = [];
const openTabs = (count: number): Tab[] => {
  const name = `shared-connection-spec-${++n}`;
  for (let i = 0; i < count; i++) tabs.push(new Tab(name));
  return tabs.slice(-count);
};

describe('SharedConnection', () => {
  afterEach(() => {
    for (const t of tabs.splice(0)) t.shared.close();
  });

  it('one tab leads; the others get what it relays and its status, as followers', async () => {
    const [a, b] = openTabs(2);
    await a.until(() => a.led.length === 1);
    await b.until(() => b.statuses.some((s) => s.state === 'open'));
    a.led[0].events.notification(note('e-1'));
    a.led[0].events.status(status('e-1'));
    await b.until(() => b.statuses.at(-1)?.lastEventId === 'e-1');
    expect(a.notifications).toEqual(['e-1']);
    expect(b.notifications).toEqual(['e-1']);
    expect(b.led).toEqual([]);
    expect(a.statuses.at(-1)?.role).toBe('leader');
    expect(b.statuses.at(-1)).toMatchObject({ role: 'follower', transport: 'sse' });
  });

  it('when the leader closes, the next tab leads from the last cursor relayed', async () => {
    const [a, b, c] = openTabs(3);
    await a.until(() => a.led.length === 1);
    a.led[0].events.notification(note('e-1'));
    a.led[0].events.notification(note('e-2'));
    a.led[0].events.status(status('e-2'));
    await b.until(() => b.notifications.length === 2);
    await c.until(() => c.notifications.length === 2);
    a.shared.close();
    expect(a.led[0].stopped).toBe(true);
    await b.until(() => b.led.length === 1);
    expect(b.led[0].cursor).toBe('e-2');
    expect(c.led).toEqual([]);
    b.led[0].events.notification(note('e-3'));
    await c.until(() => c.notifications.length === 3);
    expect(c.notifications).toEqual(['e-1', 'e-2', 'e-3']);
  });

  it('a follower that closes leaves the queue and never leads', async () => {
    const [a, b, c] = openTabs(3);
    await a.until(() => a.led.length === 1);
    b.shared.close();
    a.shared.close();
    await c.until(() => c.led.length === 1);
    expect(b.led).toEqual([]);
  });

  it('a frozen leader hands over to the next tab, and queues behind it when it resumes', async () => {
    const [a, b] = openTabs(2);
    await a.until(() => a.led.length === 1);
    a.led[0].events.notification(note('e-1'));
    a.led[0].events.status(status('e-1'));
    await b.until(() => b.notifications.length === 1);
    a.lifecycle.dispatchEvent(new Event('freeze'));
    expect(a.led[0].stopped).toBe(true);
    await b.until(() => b.led.length === 1);
    expect(b.led[0].cursor).toBe('e-1');

    a.lifecycle.dispatchEvent(new Event('resume'));
    b.led[0].events.notification(note('e-2'));
    await a.until(() => a.notifications.length === 2);
    expect(a.led.length).toBe(1);
    expect(a.statuses.at(-1)?.role).toBe('follower');
    // Resumed, it is next in line again.
    b.shared.close();
    await a.until(() => a.led.length === 2);
    expect(a.led[1].cursor).toBe('e-2');
  });

  it('a frozen follower leaves the queue, so the lock is never handed to a tab that cannot run', async () => {
    const [a, b, c] = openTabs(3);
    await a.until(() => a.led.length === 1);
    b.lifecycle.dispatchEvent(new Event('freeze'));
    a.shared.close();
    await c.until(() => c.led.length === 1);
    expect(b.led).toEqual([]);
  });
});
