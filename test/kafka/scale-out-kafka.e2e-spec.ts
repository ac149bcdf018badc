import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Admin, Producer } from 'kafkajs';
import { follow, type FollowingClient } from '../support/following-client.js';
import { spawnGateway, userToken, type GatewayProcess } from '../support/gateway-process.js';
import { scrapeMetrics, waitForMetrics } from '../support/metrics-scrape.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { openSse, type SseConnection } from '../support/sse-client.js';
import { connectWs, type WsClient } from '../support/ws-client.js';
import {
  connectProducer,
  createTopics,
  kafkaBrokers,
  kafkaClient,
  notificationMessage,
  unique,
  until,
} from './kafka-support.js';

/**
 * Replicas of the built service (run `npm run build` first) consuming one Kafka group and sharing
 * one real Redis: cross-replica delivery, Redis outages and the SIGTERM drain, with Kafka as the
 * only ingress. Each record goes to an explicit partition so which replica consumes a user's
 * notifications is known whatever the assignment.
 */
const TIMEOUT = 90_000;
const PARTITIONS = 4;

interface Listed {
  id: string;
  payload: { seq: number };
}

describe('scale-out with Kafka ingest on Redis', () => {
  let brokers: string;
  let redis: TestRedis;
  let producer: Producer;
  let admin: Admin;
  const procs: GatewayProcess[] = [];

  /** `n` replicas in one consumer group on a fresh 4-partition topic and a key prefix of their own. */
  const group = async (n: number, env: Record<string, string> = {}) => {
    const topic = unique('scale');
    const groupId = unique('scale-group');
    await createTopics(brokers, [{ topic, partitions: PARTITIONS }]);
    const e = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `${topic}:`,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPICS: topic,
      KAFKA_GROUP_ID: groupId,
      KAFKA_FROM_BEGINNING: 'true',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_RETRY_INITIAL_MS: '100',
      KAFKA_RETRY_MAX_MS: '1000',
      SSE_HEARTBEAT_MS: '1000',
      SSE_RETRY_MS: '200',
      LOG_LEVEL: 'info',
      ...env,
    };
    const started = await Promise.all(Array.from({ length: n }, () => spawnGateway(e)));
    procs.push(...started);
    await untilAssigned(started);
    return { topic, groupId, procs: started };
  };

  const assigned = async (url: string): Promise<number> => {
    const res = await fetch(`${url}/health/ready`);
    if (res.status !== 200) return -1;
    const body = (await res.json()) as { info?: { kafka?: { detail?: string } } };
    return Number(/^(\d+) partitions/.exec(body.info?.kafka?.detail ?? '')?.[1] ?? -1);
  };

  /** Every replica ready and holding part of the topic: the group has settled. */
  const untilAssigned = async (ps: readonly GatewayProcess[]) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const counts = await Promise.all(ps.map((p) => assigned(p.url)));
      if (counts.every((c) => c > 0) && counts.reduce((a, b) => a + b, 0) === PARTITIONS) return;
      if (Date.now() > deadline) throw new Error(`group did not settle: ${counts.join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** User `u` (index `i`) always on partition i % 4; the payload says its place in the user's order. */
  const produceRound = (topic: string, users: readonly string[], seq: number) =>
    producer.send({
      topic,
      acks: -1,
      messages: users.map((u, i) => ({
        ...notificationMessage(u, { seq }),
        partition: i % PARTITIONS,
      })),
    });

  const consumed = async (url: string, topic: string) =>
    (await scrapeMetrics(url)).get(`gateway_kafka_messages_consumed_total{topic="${topic}"}`) ?? 0;

  /** The user's retained history, oldest first: the store's view of what was ingested. */
  const history = async (p: GatewayProcess, user: string): Promise<Listed[]> => {
    const res = await fetch(`${p.url}/v1/notifications?limit=100`, {
      headers: { authorization: `Bearer ${await userToken(user)}` },
    });
    if (res.status !== 200) {
      throw new Error(`listing answered ${res.status}: ${await res.text()}\n${p.output()}`);
    }
    return ((await res.json()) as { notifications: Listed[] }).notifications;
  };

  /** The store holds each of the user's records once, in order, and the client got each once. */
  const expectExactlyOnce = async (
    p: GatewayProcess,
    user: string,
    rounds: number,
    counts: ReadonlyMap<string, number>,
  ) => {
    const listed = await history(p, user);
    expect(listed.map((n) => n.payload.seq)).toEqual(Array.from({ length: rounds }, (_, i) => i));
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...counts.keys()].sort()).toEqual(listed.map((n) => n.id).sort());
  };

  /** Polls state only reachable asynchronously (readiness, committed offsets), with a deadline. */
  const pollUntil = async (what: string, ok: () => Promise<boolean>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const committedBehind = async (groupId: string, topic: string) => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(offsets.partitions.map((p) => [p.partition, Number(p.offset)]));
  };

  const highWatermarks = async (topic: string) =>
    new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));

  const openWs = async (url: string, user: string, lastEventId?: string) => {
    const ws = await connectWs(`${url.replace('http', 'ws')}/v1/ws`, {
      headers: { authorization: `Bearer ${await userToken(user)}` },
    });
    ws.send('subscribe', { channels: ['chat'], ...(lastEventId && { lastEventId }) });
    await ws.next('subscribed');
    return ws;
  };

  const wsNotifications = (ws: WsClient) =>
    ws.frames
      .filter((f) => f.event === 'notification')
      .map((f) => f.data as { id: string; payload: { seq: number } });

  const openStream = async (url: string, user: string): Promise<SseConnection> => {
    const sse = await openSse(`${url}/v1/notifications/stream`, {
      authorization: `Bearer ${await userToken(user)}`,
    });
    expect(sse.status).toBe(200);
    // The id-only first frame comes once delivery is live.
    await until('the head frame', () => sse.lastEventId !== undefined, 5000);
    return sse;
  };

  beforeAll(async () => {
    brokers = kafkaBrokers();
    redis = await startRedis();
    producer = await connectProducer(brokers);
    admin = kafkaClient(brokers).admin();
    await admin.connect();
  }, TIMEOUT);

  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
    await redis?.close();
  }, TIMEOUT);

  it(
    "logs only JSON lines, Node's warnings included (kafkajs sets off one on every start)",
    async () => {
      const { procs: ps } = await group(1, { LOG_LEVEL: 'debug' });
      const [p] = ps;
      const parse = (line: string) => {
        try {
          return JSON.parse(line) as { level?: string; warning?: string };
        } catch {
          return undefined;
        }
      };
      await until('the consumer warned, to the end of its line', () => {
        const out = p.output();
        return out.includes('TimeoutNegativeWarning') && out.endsWith('\n');
      });
      const lines = p.output().split('\n').filter(Boolean);
      expect(lines.filter((l) => typeof parse(l) !== 'object')).toEqual([]);
      // Maybe more than one: each kafkajs connection has a request queue of its own.
      const warnings = lines.map(parse).filter((e) => e?.warning);
      expect(warnings.length).toBeGreaterThan(0);
      for (const w of warnings) {
        expect(w).toMatchObject({ level: 'debug', warning: 'TimeoutNegativeWarning' });
      }
    },
    TIMEOUT,
  );

  it(
    'delivers to users on either replica what the other consumed, once and in order',
    async () => {
      const { topic, procs: ps } = await group(2);
      const [a, b] = ps;
      // Users 0-3 on B and 4-7 on A: each side has a user on every partition, so each gets
      // records consumed by the other side, whichever partitions it holds. SSE and WS mixed.
      const users = Array.from({ length: 8 }, (_, i) => unique(`x${i}`));
      const rounds = 15;
      const closers: (() => Promise<void>)[] = [];
      const clients = await Promise.all(
        users.map(async (u, i) => {
          const url = i < 4 ? b.url : a.url;
          if (i % 2 === 0) {
            const sse = await openStream(url, u);
            closers.push(async () => sse.close());
            return () =>
              sse.events
                .filter((e) => e.event === 'notification')
                .map((e) => ({ id: e.id!, seq: (JSON.parse(e.data) as Listed).payload.seq }));
          }
          const ws = await openWs(url, u);
          closers.push(() => ws.close());
          return () => wsNotifications(ws).map((n) => ({ id: n.id, seq: n.payload.seq }));
        }),
      );
      for (let r = 0; r < rounds; r++) await produceRound(topic, users, r);

      await until('every notification', () => clients.every((c) => c().length >= rounds));
      for (const [i, received] of clients.entries()) {
        const got = received();
        expect(got.map((n) => n.seq)).toEqual(Array.from({ length: rounds }, (_, k) => k));
        expect(new Set(got.map((n) => n.id)).size).toBe(rounds);
        await expectExactlyOnce(a, users[i], rounds, new Map(got.map((n) => [n.id, 1])));
      }
      const [onA, onB] = [await consumed(a.url, topic), await consumed(b.url, topic)];
      expect(onA).toBeGreaterThan(0);
      expect(onB).toBeGreaterThan(0);
      expect(onA + onB).toBe(users.length * rounds);
      await Promise.all(closers.map((c) => c()));
    },
    TIMEOUT,
  );

  it(
    'loses and repeats nothing across a Redis outage, committing nothing it could not store',
    async () => {
      const { topic, groupId, procs: ps } = await group(2);
      const [a, b] = ps;
      const users = Array.from({ length: 8 }, (_, i) => unique(`r${i}`));
      const clients: FollowingClient[] = await Promise.all(
        users.map(async (u, i) => follow([a.url, b.url], await userToken(u), { start: i % 2 })),
      );
      const rounds = 16;
      for (let r = 0; r < 6; r++) await produceRound(topic, users, r);
      await until('the first rounds stored', () => clients.every((c) => c.counts.size >= 6));

      await redis.stop();
      const atStop = await highWatermarks(topic);
      for (let r = 6; r < rounds; r++) await produceRound(topic, users, r);
      const produced = await highWatermarks(topic);
      for (const p of [a, b]) {
        const deadline = Date.now() + 10_000;
        let res = await fetch(`${p.url}/health/ready`);
        while (res.status !== 503 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          res = await fetch(`${p.url}/health/ready`);
        }
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ error: { redis: { status: 'down' } } });
      }
      // Several consumer retry rounds (KAFKA_RETRY_MAX_MS = 1 s) pass while Redis is away; none
      // may commit past what was stored before it went.
      const watchUntil = Date.now() + 3000;
      while (Date.now() < watchUntil) {
        const committed = await committedBehind(groupId, topic);
        for (const [partition, high] of atStop) {
          expect(committed.get(partition)).toBeLessThanOrEqual(high);
          expect(committed.get(partition)).toBeLessThan(produced.get(partition)!);
        }
        await new Promise((r) => setTimeout(r, 250));
      }

      await redis.start();
      await until('every notification', () => clients.every((c) => c.counts.size >= rounds));
      for (const [i, c] of clients.entries()) {
        await expectExactlyOnce(b, users[i], rounds, c.counts);
      }
      // Everything handled is committed once Redis is back.
      await pollUntil('the group to commit to the end', async () => {
        const committed = await committedBehind(groupId, topic);
        return [...produced].every(([p, high]) => committed.get(p) === high);
      });
      clients.forEach((c) => c.stop());
    },
    TIMEOUT,
  );
  it(
    'drains SSE, WebSocket and a held long poll on SIGTERM; the other replica takes over',
    async () => {
      const drainMs = 2000;
      const { topic, procs: ps } = await group(2, { DRAIN_SECONDS: String(drainMs / 1000) });
      const [a, b] = ps;
      const users = Array.from({ length: 8 }, (_, i) => unique(`d${i}`));
      // Users 0-3 stream over SSE, 4-7 hold a socket; all on A, the replica to be drained.
      const sse = await Promise.all(
        users.slice(0, 4).map(async (u) => follow([a.url, b.url], await userToken(u))),
      );
      const sockets = await Promise.all(users.slice(4).map((u) => openWs(a.url, u)));
      const poller = unique('poll');
      const pollAuth = { authorization: `Bearer ${await userToken(poller)}` };
      const pollOnce = async (url: string, after: string, timeout: number) => {
        const res = await fetch(`${url}/v1/notifications/poll?after=${after}&timeout=${timeout}`, {
          headers: pollAuth,
        });
        return {
          status: res.status,
          body: (await res.json()) as { notifications: Listed[]; cursor: string },
        };
      };
      const start = await fetch(`${a.url}/v1/notifications/poll?timeout=0`, { headers: pollAuth });
      const { cursor: pollCursor } = (await start.json()) as { cursor: string };
      expect(pollCursor).toMatch(/^[0-9a-z]+-\d+$/);
      const held = pollOnce(a.url, pollCursor, 30).then((r) => ({ ...r, at: Date.now() }));
      await waitForMetrics(a.url, (m) => m.get('gateway_connections{transport="longpoll"}') === 1);

      const rounds = 15;
      for (let r = 0; r < 5; r++) await produceRound(topic, users, r);
      await until(
        'the first rounds',
        () =>
          sse.every((c) => c.counts.size >= 5) &&
          sockets.every((ws) => wsNotifications(ws).length >= 5),
      );

      const closedAt = sockets.map((ws) => ws.closed.then((c) => ({ ...c, at: Date.now() })));
      const sentAt = Date.now();
      a.kill('SIGTERM');
      const readyAt = await (async () => {
        for (;;) {
          const res = await fetch(`${a.url}/health/ready`);
          if (res.status === 503) return Date.now();
          expect(Date.now() - sentAt).toBeLessThan(1000);
        }
      })();
      // Produced while A drains: whoever holds the partition stores it, nothing is lost.
      for (let r = 5; r < 10; r++) await produceRound(topic, users, r);
      const exit = await a.exited;
      const exitedAt = Date.now();
      for (let r = 10; r < rounds; r++) await produceRound(topic, users, r);
      await producer.send({
        topic,
        messages: [{ ...notificationMessage(poller, { seq: 0 }), partition: 0 }],
      });

      expect(readyAt - sentAt).toBeLessThan(1000);
      const poll = await held;
      expect(poll.status).toBe(200);
      expect(poll.body).toMatchObject({ notifications: [], cursor: pollCursor });
      expect(poll.at - sentAt).toBeLessThan(1000);
      const closes = await Promise.all(closedAt);
      expect(closes.map((c) => c.code)).toEqual([1012, 1012, 1012, 1012]);
      const times = closes.map((c) => c.at - sentAt);
      // Spread over the window rather than all at once, and all of them within it.
      expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(drainMs / 2);
      expect(Math.max(...times)).toBeLessThan(drainMs + 1000);
      expect(sse.every((c) => c.endRetries[0] !== undefined)).toBe(true);
      expect(exit.signal).toBe('SIGTERM');
      expect(exitedAt - sentAt).toBeLessThan(drainMs + 3000);
      // A left the group: B holds every partition, so what came after the drain reached it.
      await untilAssigned([b]);

      const resumed = await Promise.all(
        sockets.map((ws) =>
          openWs(b.url, users[4 + sockets.indexOf(ws)], wsNotifications(ws).at(-1)!.id),
        ),
      );
      await until(
        'every notification',
        () =>
          sse.every((c) => c.counts.size >= rounds) &&
          sockets.every(
            (ws, i) => wsNotifications(ws).length + wsNotifications(resumed[i]).length >= rounds,
          ),
      );
      for (const [i, c] of sse.entries()) await expectExactlyOnce(b, users[i], rounds, c.counts);
      for (const [i, ws] of sockets.entries()) {
        const counts = new Map<string, number>();
        for (const n of [...wsNotifications(ws), ...wsNotifications(resumed[i])]) {
          counts.set(n.id, (counts.get(n.id) ?? 0) + 1);
        }
        await expectExactlyOnce(b, users[4 + i], rounds, counts);
      }
      // The long poll resumes on B from the cursor it was given.
      const next = await pollOnce(b.url, poll.body.cursor, 10);
      expect(next.status).toBe(200);
      expect(next.body.notifications.map((n) => n.payload)).toEqual([{ seq: 0 }]);
      sse.forEach((c) => c.stop());
      await Promise.all(resumed.map((ws) => ws.close()));
    },
    TIMEOUT,
  );
});
