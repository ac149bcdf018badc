import { openSse, type SseConnection } from './sse-client.js';

/**
 * A user's EventSource-like client across replicas: when a stream ends or a replica is gone, it
 * reconnects (to the next URL, after the server's `retry:`), sending the last event id, and
 * keeps every notification id it received with how often it got it.
 */
export interface FollowingClient {
  readonly counts: Map<string, number>;
  /** The `retry:` in force each time the server ended a stream, in order. */
  readonly endRetries: (number | undefined)[];
  readonly reconnects: number;
  current(): SseConnection | undefined;
  waitForAll(ids: readonly string[], timeoutMs: number): Promise<void>;
  stop(): void;
}

export async function follow(
  urls: readonly string[],
  token: string,
  options: { start?: number; maxRetryMs?: number } = {},
): Promise<FollowingClient> {
  const counts = new Map<string, number>();
  const endRetries: (number | undefined)[] = [];
  let index = options.start ?? 0;
  let lastEventId: string | undefined;
  let conn: SseConnection | undefined;
  let stopped = false;
  let reconnects = 0;
  const waiters = new Set<() => void>();

  const connectOnce = async (): Promise<SseConnection> => {
    for (;;) {
      const url = urls[index % urls.length];
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${token}` };
        if (lastEventId) headers['last-event-id'] = lastEventId;
        const c = await openSse(`${url}/v1/notifications/stream`, headers);
        if (c.status === 200) return c;
      } catch {
        // Replica gone: try the next one.
      }
      index++;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const run = async (): Promise<void> => {
    while (!stopped) {
      conn = await connectOnce();
      const c = conn;
      let seen = 0;
      const onEvent = () => {
        for (; seen < c.events.length; seen++) {
          const e = c.events[seen];
          if (e.event === 'notification') counts.set(e.id!, (counts.get(e.id!) ?? 0) + 1);
        }
        if (c.lastEventId) lastEventId = c.lastEventId;
        waiters.forEach((w) => w());
      };
      const poll = setInterval(onEvent, 20);
      await c.ended;
      clearInterval(poll);
      onEvent();
      if (stopped) return;
      endRetries.push(c.retry);
      const retry = c.retry ?? 3000;
      reconnects++;
      index++;
      await new Promise((r) => setTimeout(r, Math.min(retry, options.maxRetryMs ?? 60_000)));
    }
  };
  void run();
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (conn) {
        clearInterval(t);
        resolve();
      }
    }, 5);
  });

  return {
    counts,
    endRetries,
    get reconnects() {
      return reconnects;
    },
    current: () => conn,
    waitForAll(ids, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!ids.every((id) => counts.has(id))) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const missing = ids.filter((id) => !counts.has(id));
          reject(new Error(`timed out: ${missing.length} of ${ids.length} missing`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop() {
      stopped = true;
      conn?.close();
    },
  };
}
