import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { follow, type FollowingClient } from './support/following-client.js';
import {
  httpPublisher,
  spawnGateway,
  userToken,
  type GatewayProcess,
  type Publisher,
} from './support/gateway-process.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { openSse } from './support/sse-client.js';

/**
 * Several replicas of the built service (run `npm run build` first) on one real Redis. Publishing
 * goes through `Publisher`, so the Kafka-consumed variants can reuse every scenario.
 */
const TIMEOUT = 60_000;
const BASE_ENV = {
  SSE_HEARTBEAT_MS: '1000',
  SSE_RETRY_MS: '200',
  MAX_CONNECTIONS_PER_USER: '3',
  LOG_LEVEL: 'info',
};

describe('scale-out on Redis', () => {
  let redis: TestRedis;
  const procs: GatewayProcess[] = [];
  let prefixN = 0;

  /** Two fresh replicas sharing a key prefix of their own, so scenarios do not see each other. */
  const pair = async (env: Record<string, string> = {}) => {
    const prefix = `t${++prefixN}:`;
    const e = { ...BASE_ENV, REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, ...env };
    const [a, b] = await Promise.all([spawnGateway(e), spawnGateway(e)]);
    procs.push(a, b);
    return [a, b] as const;
  };

  /** Publishes one notification per user per round; retries while the store answers 503. */
  const publishRounds = async (
    publish: Publisher,
    users: readonly string[],
    rounds: number,
    onRound?: (round: number) => Promise<void> | void,
  ) => {
    const ids = new Map<string, string[]>(users.map((u) => [u, []]));
    for (let r = 0; r < rounds; r++) {
      await onRound?.(r);
      const batch = users.map((u) => ({ userId: u, type: 'test.tick', payload: { r } }));
      for (;;) {
        try {
          const { results } = await publish(batch);
          results.forEach((res, i) => ids.get(users[i])!.push(res.id));
          break;
        } catch (err) {
          if (!/answered 503/.test(String(err))) throw err;
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    }
    return ids;
  };

  const expectExactlyOnce = (client: FollowingClient, ids: readonly string[]) => {
    const dup = [...client.counts].filter(([, n]) => n !== 1);
    expect(dup).toEqual([]);
    expect(ids.filter((id) => !client.counts.has(id))).toEqual([]);
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await redis.close();
  }, TIMEOUT);

  it(
    'delivers what one replica stores to a user on the other, once per connection',
    async () => {
      const [a, b] = await pair();
      const token = await userToken('bob');
      const auth = { authorization: `Bearer ${token}` };
      const onB = await openSse(`${b.url}/v1/notifications/stream`, auth);
      const onA = await openSse(`${a.url}/v1/notifications/stream`, auth);
      const other = await openSse(`${b.url}/v1/notifications/stream`, {
        authorization: `Bearer ${await userToken('carol')}`,
      });
      const { results } = await httpPublisher(a.url)([
        { userId: 'bob', type: 'x', payload: 1 },
        { userId: 'bob', type: 'x', payload: 2 },
      ]);
      const [b1, b2] = await onB.waitForEvents(2);
      const [a1, a2] = await onA.waitForEvents(2);
      expect([b1.id, b2.id]).toEqual(results.map((r) => r.id));
      expect([a1.id, a2.id]).toEqual(results.map((r) => r.id));
      // A third publish proves nothing else was queued for either connection.
      const third = await httpPublisher(b.url)({ userId: 'bob', type: 'x', payload: 3 });
      expect((await onB.waitForEvents(3))[2].id).toBe(third.results[0].id);
      expect((await onA.waitForEvents(3))[2].id).toBe(third.results[0].id);
      expect(onA.events).toHaveLength(3);
      expect(onB.events).toHaveLength(3);
      expect(other.events.filter((e) => e.event === 'notification')).toEqual([]);
      for (const c of [onA, onB, other]) c.close();
    },
    TIMEOUT,
  );

  it(
    'answers a plain poll (timeout=0) from the shared history, with a cursor to continue from',
    async () => {
      const [a, b] = await pair();
      const auth = { authorization: `Bearer ${await userToken('paula')}` };
      const poll = async (query: string) =>
        (await (
          await fetch(`${b.url}/v1/notifications/poll?timeout=0${query}`, { headers: auth })
        ).json()) as {
          notifications: { id: string }[];
          cursor: string;
        };
      const start = await poll('');
      expect(start).toMatchObject({ notifications: [], cursor: expect.stringMatching(/-\d+$/) });
      const { results } = await httpPublisher(a.url)({ userId: 'paula', type: 'x', payload: 1 });
      const next = await poll(`&after=${start.cursor}`);
      expect(next.notifications.map((n) => n.id)).toEqual([results[0].id]);
      expect(next.cursor).toBe(results[0].id);
    },
    TIMEOUT,
  );

  it(
    'holds the per-user cap across replicas',
    async () => {
      const [a, b] = await pair();
      const auth = { authorization: `Bearer ${await userToken('dave')}` };
      const open = [
        await openSse(`${a.url}/v1/notifications/stream`, auth),
        await openSse(`${b.url}/v1/notifications/stream`, auth),
        await openSse(`${a.url}/v1/notifications/stream`, auth),
      ];
      expect(open.map((c) => c.status)).toEqual([200, 200, 200]);
      const refusedOnB = await openSse(`${b.url}/v1/notifications/stream`, auth);
      expect(refusedOnB.status).toBe(429);
      expect(refusedOnB.body).toMatchObject({ reason: 'user_cap' });
      // A closed connection gives its lease back, on whichever replica the next one lands.
      open[0].close();
      await open[0].ended;
      const deadline = Date.now() + 5000;
      let again = await openSse(`${b.url}/v1/notifications/stream`, auth);
      while (again.status !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        again = await openSse(`${b.url}/v1/notifications/stream`, auth);
      }
      expect(again.status).toBe(200);
      for (const c of [...open, again]) c.close();
    },
    TIMEOUT,
  );

  it(
    'loses nothing and duplicates nothing when a replica is killed mid-stream',
    async () => {
      const [a, b] = await pair();
      const users = Array.from({ length: 100 }, (_, i) => `k${i}`);
      const clients = await Promise.all(
        users.map(async (u, i) => follow([a.url, b.url], await userToken(u), { start: i % 2 })),
      );
      const ids = await publishRounds(httpPublisher(b.url), users, 30, (r) => {
        if (r === 10) a.kill('SIGKILL');
      });
      expect((await a.exited).signal).toBe('SIGKILL');
      await Promise.all(clients.map((c, i) => c.waitForAll(ids.get(users[i])!, 20_000)));
      clients.forEach((c, i) => expectExactlyOnce(c, ids.get(users[i])!));
      // Half of them were on the killed replica and had to reconnect.
      expect(clients.filter((c) => c.reconnects > 0).length).toBeGreaterThanOrEqual(50);
      clients.forEach((c) => c.stop());
    },
    TIMEOUT,
  );

  it(
    'drains on SIGTERM: clients reconnect with jitter and miss nothing',
    async () => {
      const [a, b] = await pair({ DRAIN_SECONDS: '2' });
      const users = Array.from({ length: 20 }, (_, i) => `d${i}`);
      const onA = await Promise.all(
        users.map(async (u) => follow([a.url, b.url], await userToken(u))),
      );
      let sentAt = 0;
      const ids = await publishRounds(httpPublisher(b.url), users, 20, async (r) => {
        if (r !== 5) return;
        sentAt = Date.now();
        a.kill('SIGTERM');
      });
      const exit = await a.exited;
      const tookMs = Date.now() - sentAt;
      await Promise.all(onA.map((c, i) => c.waitForAll(ids.get(users[i])!, 20_000)));
      onA.forEach((c, i) => expectExactlyOnce(c, ids.get(users[i])!));
      // Exited through Nest's own shutdown (re-raised SIGTERM), not the forced exit.
      expect(exit.signal).toBe('SIGTERM');
      expect(tookMs).toBeLessThan(2000 + 1000);
      // Each stream ended with its own reconnection delay, spread over the drain window.
      const retries = onA.map((c) => c.endRetries[0]!);
      expect(retries.every((r) => r >= 200 && r <= 2200)).toBe(true);
      expect(new Set(retries).size).toBeGreaterThan(10);
      onA.forEach((c) => c.stop());
    },
    TIMEOUT,
  );

  it(
    'loses nothing across a Redis restart; publishing is refused while it is down',
    async () => {
      const [a, b] = await pair();
      const users = Array.from({ length: 10 }, (_, i) => `r${i}`);
      const clients = await Promise.all(
        users.map(async (u, i) => follow([a.url, b.url], await userToken(u), { start: i % 2 })),
      );
      let refused = 0;
      const publish: Publisher = async (body) => {
        try {
          return await httpPublisher(a.url)(body);
        } catch (err) {
          if (/answered 503/.test(String(err))) refused++;
          throw err;
        }
      };
      const ids = await publishRounds(publish, users, 20, async (r) => {
        if (r !== 5) return;
        await redis.stop();
        setTimeout(() => void redis.start(), 1000);
      });
      expect(refused).toBeGreaterThan(0);
      await Promise.all(clients.map((c, i) => c.waitForAll(ids.get(users[i])!, 20_000)));
      clients.forEach((c, i) => expectExactlyOnce(c, ids.get(users[i])!));
      clients.forEach((c) => c.stop());
      expect(b.output()).not.toContain(redis.url);
    },
    TIMEOUT,
  );

  it(
    'resets open streams when Redis comes back empty, then delivers what follows',
    async () => {
      const [a, b] = await pair();
      const stream = await openSse(`${a.url}/v1/notifications/stream`, {
        authorization: `Bearer ${await userToken('e1')}`,
      });
      const before = (await publishRounds(httpPublisher(b.url), ['e1'], 3)).get('e1')!;
      await stream.waitForEvents(3, 10_000);
      // A restart without persistence: the new Redis numbers from 1 again, under a new epoch.
      await redis.stop();
      redis.wipe();
      await redis.start();
      const after = (await publishRounds(httpPublisher(b.url), ['e1'], 3)).get('e1')!;
      const events = await stream.waitForEvents(7, 20_000);
      const epochOf = (id: string) => id.slice(0, id.indexOf('-'));
      expect(epochOf(after[0])).not.toBe(epochOf(before[0]));
      expect(events.map((e) => e.event)).toEqual([
        ...Array(3).fill('notification'),
        'reset',
        ...Array(3).fill('notification'),
      ]);
      expect(events.filter((e) => e.event === 'notification').map((e) => e.id)).toEqual([
        ...before,
        ...after,
      ]);
      expect(epochOf(events[3].id!)).toBe(epochOf(after[0]));
      stream.close();
    },
    TIMEOUT,
  );
});
