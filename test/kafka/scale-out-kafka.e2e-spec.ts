import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Admin, Producer } from 'kafkajs';
import { follow, type FollowingClient } from '../support/following-client.js';
import { spawnGateway, userToken, type GatewayProcess } from '../support/gateway-process.js';
import { scrapeMetrics } from '../support/metrics-scrape.js';
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
      await until('the first rounds stored', () =>
        clients.every((c) => c.counts.size >= 6),
      );

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
});
