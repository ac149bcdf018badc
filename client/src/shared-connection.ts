import type { ConnectionEvents, ConnectionStatus } from './connection.js';
import type { Notification, Role, Status } from './types.js';

/** Messages between the tabs of one origin that share a connection. */
type Relay =
  | { readonly type: 'hello' }
  | { readonly type: 'notification'; readonly notification: Notification }
  | { readonly type: 'reset'; readonly id: string }
  | { readonly type: 'status'; readonly status: ConnectionStatus };

/** The part of a Connection the leader drives. */
export interface LeaderConnection {
  start(): void;
  stop(): void;
  readonly status: ConnectionStatus;
}

export interface Delivery {
  notification(n: Notification): void;
  reset(id: string): void;
  status(s: Status): void;
}

const WAITING: ConnectionStatus = {
  state: 'connecting',
  transport: null,
  lastEventId: null,
  heartbeats: 0,
  lastHeartbeatAt: null,
  error: null,
};

/**
 * One connection for all tabs of an origin that use the same user, channels and transport. The
 * tabs queue for a Web Lock; the holder (leader) runs the connection and relays everything over a
 * BroadcastChannel. Followers remember the last cursor relayed, so when the leader's tab closes
 * (the browser then releases its lock) the next in line resumes from there: whatever the old
 * leader received and did not relay is replayed by the server, and what was relayed twice is
 * dropped by the id check in front of the application.
 *
 * A tab the browser freezes (a background tab, to save power) runs no code: as leader it would
 * keep the lock and relay nothing, leaving every other tab without notifications for as long as
 * it sleeps, and as the next in line it would be handed the lock and not take it up. It steps
 * out of the queue on the `freeze` event the browser fires first, handing the connection over as
 * a closing tab does, and queues again on `resume`.
 */
export class SharedConnection {
  private readonly channel: BroadcastChannel;
  /** Ends the page lifecycle listeners. */
  private readonly abort = new AbortController();
  /** This tab's place in the lock's queue (or its hold on the lock); null while out of it. */
  private queued: AbortController | null = null;
  private role: Role = 'follower';
  private connection: LeaderConnection | null = null;
  private cursor: string | null;
  private release: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly name: string,
    cursor: string | null,
    private readonly newConnection: (
      cursor: string | null,
      events: ConnectionEvents,
    ) => LeaderConnection,
    private readonly deliver: Delivery,
    /** Where `freeze` and `resume` are fired: the document in a page. */
    private readonly lifecycle: EventTarget | undefined = globalThis.document,
  ) {
    this.cursor = cursor;
    this.channel = new BroadcastChannel(name);
  }

  start(): void {
    this.channel.onmessage = (e: MessageEvent<Relay>) => this.onRelay(e.data);
    this.deliver.status({ ...WAITING, lastEventId: this.cursor, role: 'follower' });
    const { signal } = this.abort;
    this.lifecycle?.addEventListener('freeze', () => this.leave(), { signal });
    this.lifecycle?.addEventListener('resume', () => this.join(), { signal });
    this.join();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.leave();
    this.channel.close();
  }

  private join(): void {
    if (this.closed || this.queued) return;
    const queued = new AbortController();
    this.queued = queued;
    this.post({ type: 'hello' });
    navigator.locks
      .request(this.name, { signal: queued.signal }, () => this.lead(queued))
      // Rejected with AbortError when the tab leaves the queue before its turn.
      .catch(() => undefined);
  }

  /** Out of the queue; as leader, stops the connection and hands the lock to the next tab. */
  private leave(): void {
    this.queued?.abort();
    this.queued = null;
    this.connection?.stop();
    this.connection = null;
    this.release?.();
    this.release = null;
    this.role = 'follower';
  }

  /** Runs while this tab holds the lock; resolving the promise hands the lock to the next tab. */
  private lead(queued: AbortController): Promise<void> {
    // Granted just as the tab left the queue: pass it on.
    if (queued !== this.queued) return Promise.resolve();
    this.role = 'leader';
    const held = new Promise<void>((resolve) => (this.release = resolve));
    this.connection = this.newConnection(this.cursor, {
      notification: (n) => {
        this.post({ type: 'notification', notification: n });
        this.deliver.notification(n);
      },
      reset: (id) => {
        this.post({ type: 'reset', id });
        this.deliver.reset(id);
      },
      status: (s) => {
        this.cursor = s.lastEventId;
        this.post({ type: 'status', status: s });
        this.deliver.status({ ...s, role: 'leader' });
      },
    });
    this.connection.start();
    return held;
  }

  private onRelay(msg: Relay): void {
    switch (msg.type) {
      case 'hello':
        if (this.connection) this.post({ type: 'status', status: this.connection.status });
        return;
      case 'notification':
        if (this.role === 'follower') this.cursor = msg.notification.id;
        this.deliver.notification(msg.notification);
        return;
      case 'reset':
        if (this.role === 'follower') {
          this.cursor = msg.id;
          this.deliver.reset(msg.id);
        }
        return;
      case 'status':
        // A leader's own connection is the truth; a message from its predecessor is stale.
        if (this.role === 'follower') {
          this.cursor = msg.status.lastEventId ?? this.cursor;
          this.deliver.status({ ...msg.status, role: 'follower' });
        }
        return;
    }
  }

  private post(msg: Relay): void {
    if (!this.closed) this.channel.postMessage(msg);
  }
}
