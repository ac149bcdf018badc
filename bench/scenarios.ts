import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { PUBLISH_SCOPE, signToken } from '../src/auth/token-verifier.js';
import { ClientPool, MAX_SOCKETS_PER_WORKER, type PoolStats } from './load/client-pool.js';
import type { Transport } from './load/protocol.js';
import {
  broadcastItems,
  HttpPublisher,
  publishClosedLoop,
  publishPaced,
  unicastItems,
  type PublishRun,
} from './load/publisher.js';
import { KafkaPublisher, produceClosedLoop, producePaced } from './load/kafka-publisher.js';
import { machineCpu, machineNote, machineSince, per1k, processCpu } from './machine.js';
import type { ServerProcess } from './server-process.js';
import type { GcPauses } from './signal-files.js';
import { nowMs, type Histogram } from './histogram.js';
import { BENCH_SECRET, isService, startTarget, type TargetKind } from './targets.js';

/** One measured figure set; the report pairs each service row with the floor row of the same key. */
export interface Row {
  scenario: string;
  transport: Transport;
  target: TargetKind;
  /** Distinguishes rows of one scenario (e.g. the connection count of S1). */
  label: string;
  conns?: number;
  expected?: number;
  delivered?: number;
  lossPct?: number;
  perSec?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  max?: number;
  kbPerConn?: number;
  cpuPer1k?: number;
  serverCpuPct?: number;
  /** The kernel's share of the server's CPU (over loopback, each send runs the receiver's TCP too). */
  kernelPct?: number;
  /**
   * CPU seconds per 1 000 deliveries of every other process over the phase (load generator,
   * publisher, broker): doing much the same work in every phase, they show the machine slowing
   * down or speeding up through a run, and the server's own figure moves with theirs.
   */
  restCpuPer1k?: number;
  rssBeforeMb?: number;
  rssAfterMb?: number;
  note?: string;
  /** Which of `--rounds` repeats measured it (0-based; absent in a single-round run). */
  round?: number;
}

/** Server CPU seconds since `before`, and the kernel's share of them in per cent. */
function cpuSince(
  server: ServerProcess,
  before: { user: number; system: number },
): { cpu: number; kernelPct: number } {
  const now = server.cpu();
  const system = now.system - before.system;
  const cpu = now.user - before.user + system;
  return { cpu, kernelPct: cpu > 0 ? Math.round((system / cpu) * 100) : 0 };
}

/** Context switches per 1 000 deliveries since `before` (see ServerProcess.switches). */
function switchesNote(
  server: ServerProcess,
  before: ReturnType<ServerProcess['switches']>,
  delivered: number,
): string {
  const now = server.switches();
  const per1k = (n: number) => Math.round((n / delivered) * 1000);
  return (
    `switches per 1k: ${per1k(now.sleeps - before.sleeps)} sleeps, ` +
    `${per1k(now.preempted - before.preempted)} preempted, ` +
    `${per1k(now.helpers - before.helpers)} helper wake-ups`
  );
}

const GC_KINDS = ['scavenge', 'markCompact', 'other'] as const;

/**
 * The GC pauses since `before`: what stopped the server's main thread during a phase, to read its
 * latency tail against (a delivery waits out any pause that starts before it is written).
 */
function gcNote(before: GcPauses | undefined, after: GcPauses | undefined): string {
  if (!before || !after) return 'GC pauses: no answer';
  const count = (kind: keyof GcPauses) => after[kind].count - before[kind].count;
  const part = (kind: 'scavenge' | 'markCompact', name: string) =>
    count(kind)
      ? `${count(kind)} ${name} (longest ${after[kind].maxMs.toFixed(2)} ms)`
      : `0 ${name}`;
  const totalMs = GC_KINDS.reduce((ms, kind) => ms + after[kind].totalMs - before[kind].totalMs, 0);
  return (
    `GC pauses: ${part('scavenge', 'scavenges')}, ${part('markCompact', 'mark-compacts')}, ` +
    `${totalMs.toFixed(1)} ms in all`
  );
}

export interface BenchContext {
  readonly scale: number;
  /** KAFKA_BROKERS of the broker the run started (Kafka scenarios only). */
  readonly kafkaBrokers?: string;
  /** That broker's JVM, when the run started it: its CPU per delivery goes in the Kafka rows' notes. */
  readonly brokerPid?: number;
  readonly durationMs: number;
  /** Milliseconds of publishing at a paced scenario's own rate before its timed phase (S3). */
  readonly pacedWarmupMs: number;
  readonly profileDir?: string;
  readonly log: (line: string) => void;
}

const users = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const n = (ctx: BenchContext, full: number) => Math.max(10, Math.round(full * ctx.scale));
const processesFor = (conns: number) => Math.max(2, Math.ceil(conns / MAX_SOCKETS_PER_WORKER));

async function withServer<T>(
  ctx: BenchContext,
  kind: TargetKind,
  transport: Transport,
  label: string,
  env: Record<string, string> | undefined,
  body: (server: ServerProcess) => Promise<T>,
): Promise<T> {
  const server = await startTarget({ kind, transport, env, label, profileDir: ctx.profileDir });
  try {
    if (transport === 'ws') await probeWebSocket(server.port);
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** Fails the scenario up front when the build has no WebSocket endpoint (404 on upgrade). */
async function probeWebSocket(port: number): Promise<void> {
  const token = await signToken(BENCH_SECRET, { sub: 'probe' });
  const status = await new Promise<string>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, {
      headers: { authorization: `Bearer ${token}` },
    });
    ws.on('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      ws.terminate();
      resolve(String(res.statusCode));
    });
    ws.on('error', (err) => resolve(err.message));
  });
  if (status !== 'open')
    throw new Error(`no WebSocket endpoint on this build (upgrade: ${status})`);
}

function statusNote(statuses: Record<string, number>): string {
  const bad = Object.entries(statuses).filter(([k]) => k !== '200');
  return bad.length ? `refused: ${bad.map(([k, v]) => `${k}×${v}`).join(' ')}` : '';
}

function mb(kb: number): number {
  return Math.round(kb / 102.4) / 10;
}

/** Polls until `done` holds or nothing new arrived for `quietMs`. */
export async function drain(
  pool: ClientPool,
  done: (s: PoolStats) => boolean,
  quietMs = 3000,
  maxMs = 60_000,
): Promise<PoolStats> {
  const start = Date.now();
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const s = await pool.stats();
    if (done(s)) return s;
    if (s.delivered !== last) {
      last = s.delivered;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > quietMs || Date.now() - start > maxMs) return s;
    await sleep(200);
  }
}

function latencyFields(s: PoolStats): Pick<Row, 'p50' | 'p90' | 'p99' | 'max'> {
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    p50: r(s.hist.quantile(0.5)),
    p90: r(s.hist.quantile(0.9)),
    p99: r(s.hist.quantile(0.99)),
    max: r(s.hist.max),
  };
}

/** S1: RSS per idle connection at growing connection counts, on one server. */
export async function s1Idle(ctx: BenchContext, kind: TargetKind, transport: Transport) {
  const levels = [1000, 5000, 10_000, 19_000].map((l) => n(ctx, l));
  const rows: Row[] = [];
  await withServer(ctx, kind, transport, 's1', undefined, async (server) => {
    const pool = ClientPool.create(
      processesFor(levels.at(-1)!),
      server.port,
      transport,
      BENCH_SECRET,
    );
    try {
      const before = await server.rssKb();
      let open = 0;
      for (const level of levels) {
        const cpu0 = server.cpuSeconds();
        const t0 = Date.now();
        const res = await pool.connect(users(`idle-${open}-`, level - open));
        const seconds = (Date.now() - t0) / 1000;
        const cpu = server.cpuSeconds() - cpu0;
        if (res.ok === 0) throw new Error(`no connection admitted (${statusNote(res.statuses)})`);
        open += res.ok;
        await sleep(1000);
        const after = await server.rssKb();
        const note = statusNote(res.statuses);
        rows.push({
          scenario: 'S1 idle',
          transport,
          target: kind,
          label: `${level}`,
          conns: open,
          kbPerConn: Math.round(((after - before) / open) * 100) / 100,
          rssBeforeMb: mb(before),
          rssAfterMb: mb(after),
          perSec: Math.round(res.ok / seconds),
          cpuPer1k: Math.round((cpu / res.ok) * 1000 * 1000) / 1000,
          note: `connects/s and CPU s per 1k connects${note ? `; ${note}` : ''}`,
        });
        ctx.log(`  ${kind} ${transport} ${open} open: ${mb(after)} MB (${note || 'all 200'})`);
        if (res.ok < level - (open - res.ok)) break;
      }
    } finally {
      await pool.closeConnections();
      await pool.shutdown();
    }
  });
  return rows;
}

export async function publisherFor(server: ServerProcess): Promise<HttpPublisher> {
  const token = await signToken(BENCH_SECRET, {
    sub: 'bench-publisher',
    scope: PUBLISH_SCOPE,
    ttlSeconds: 6 * 3600,
  });
  return new HttpPublisher(server.port, token);
}

/**
 * Sends one notification to each active user until all have one: JIT warm-up and a readiness
 * barrier (for Kafka it also waits out the consumer group's first join).
 */
export async function warmUp(
  pool: ClientPool,
  send: (from: number, size: number) => Promise<number>,
  active: string[],
  quietMs: number,
): Promise<void> {
  for (let i = 0; i < active.length; i += 500) await send(i, Math.min(500, active.length - i));
  const s = await drain(pool, (st) => st.reached >= active.length, quietMs, quietMs + 30_000);
  if (s.reached < active.length)
    throw new Error(`warm-up reached ${s.reached}/${active.length} connections`);
  await pool.reset();
}

interface UnicastOptions {
  readonly scenario: string;
  readonly via: 'http' | 'kafka';
  readonly label: string;
  readonly active: number;
  readonly idle: number;
  /**
   * `closed`: as fast as accepted. `backlog` (Kafka): the server is stopped (SIGSTOP) while the
   * producer fills the topic for the phase's duration, then resumed and timed until it has
   * delivered it all: the gateway's own rate, not shared with the producer for these 2 cores.
   */
  readonly mode: 'closed' | 'backlog' | { ratePerSecond: number; batch: number };
}

/** S2, S3, S4: unicast to `active` users (one connection each), optionally beside idle others. */
export async function unicast(
  ctx: BenchContext,
  kind: TargetKind,
  transport: Transport,
  o: UnicastOptions,
): Promise<Row[]> {
  if (o.via === 'kafka' && kind === 'floor') return []; // the floor servers read no Kafka
  let kafka: KafkaPublisher | undefined;
  let env: Record<string, string> | undefined;
  if (o.via === 'kafka') {
    if (!ctx.kafkaBrokers) throw new Error('no Kafka broker for this run');
    kafka = await KafkaPublisher.create(ctx.kafkaBrokers, 4);
    env = {
      KAFKA_BROKERS: ctx.kafkaBrokers,
      KAFKA_TOPICS: kafka.topic,
      KAFKA_GROUP_ID: `${kafka.topic}-gateway`,
      KAFKA_FROM_BEGINNING: 'true',
    };
  }
  const label = o.scenario.split(' ')[0].toLowerCase();
  try {
    return await withServer(ctx, kind, transport, label, env, async (server) => {
      const pool = ClientPool.create(
        processesFor(o.active + o.idle),
        server.port,
        transport,
        BENCH_SECRET,
      );
      const pub = await publisherFor(server);
      try {
        const active = users('active-', o.active);
        let refused = '';
        if (o.idle) refused += statusNote((await pool.connect(users('other-', o.idle))).statuses);
        refused += statusNote((await pool.connect(active)).statuses);
        const send = kafka
          ? (from: number, size: number) => kafka.send(active, from, size)
          : (from: number, size: number) => pub.post(unicastItems(active, from, size));
        await warmUp(pool, send, active, kafka ? 30_000 : 5000);
        const paced = (ratePerSecond: number, batch: number, ms: number) =>
          kafka
            ? producePaced(kafka, active, ratePerSecond, batch, ms)
            : publishPaced(
                pub,
                (k) => unicastItems(active, k * batch, batch),
                ratePerSecond,
                batch,
                ms,
              );
        if (typeof o.mode === 'object' && ctx.pacedWarmupMs > 0) {
          // At 2 000/s a request's path is compiled only after seconds of them: measured without
          // this, S3 was the JIT's warm-up as much as the server's steady state.
          const w = await paced(o.mode.ratePerSecond, o.mode.batch, ctx.pacedWarmupMs);
          await drain(pool, (st) => st.delivered >= w.accepted);
          await pool.reset();
        }
        // Where a Kafka phase's delay forms: before the records reach the gateway, or after.
        const delaysBefore = kafka && o.mode !== 'backlog' ? await delayBuckets(server.port) : null;
        // Asked before the CPU is read: answering costs the server a file write.
        const gc0 = await server.gcPauses();
        let cpu0 = server.cpu();
        const switches0 = server.switches();
        let machine0 = machineCpu();
        const brokerCpu = () => {
          if (!kafka || !ctx.brokerPid) return 0;
          const { user, system } = processCpu(ctx.brokerPid);
          return user + system;
        };
        let broker0 = brokerCpu();
        let run: PublishRun;
        let startedAt: number | undefined;
        if (o.mode === 'backlog') {
          if (!kafka) throw new Error('backlog mode needs Kafka');
          process.kill(server.pid, 'SIGSTOP');
          try {
            run = await produceClosedLoop(kafka, active, 500, 4, ctx.durationMs);
          } finally {
            cpu0 = server.cpu();
            machine0 = machineCpu();
            broker0 = brokerCpu();
            startedAt = nowMs();
            process.kill(server.pid, 'SIGCONT');
          }
        } else if (o.mode === 'closed') {
          run = kafka
            ? await produceClosedLoop(kafka, active, 500, 4, ctx.durationMs)
            : await publishClosedLoop(pub, active, 500, 4, ctx.durationMs);
        } else {
          run = await paced(o.mode.ratePerSecond, o.mode.batch, ctx.durationMs);
        }
        const s = await drain(pool, (st) => st.delivered >= run.accepted);
        const { cpu, kernelPct } = cpuSince(server, cpu0);
        const switches = switchesNote(server, switches0, s.delivered);
        const phase = machineSince(machine0);
        const machine = machineNote(
          phase,
          s.delivered,
          kafka && ctx.brokerPid ? [{ name: 'broker', cpu: brokerCpu() - broker0 }] : [],
        );
        const gc = gcNote(gc0, await server.gcPauses());
        const delays = delaysBefore
          ? delayNote(delaysBefore, await delayBuckets(server.port), s.hist)
          : '';
        const span = (s.lastAt - (startedAt ?? run.startedAt)) / 1000;
        const row: Row = {
          scenario: o.scenario,
          transport,
          target: kind,
          label: o.label,
          conns: o.active + o.idle,
          expected: run.accepted,
          delivered: s.delivered,
          lossPct: run.accepted ? Math.round((1 - s.delivered / run.accepted) * 10000) / 100 : 0,
          perSec: Math.round(s.delivered / span),
          // Waiting in the backlog is not delivery latency.
          ...(o.mode === 'backlog' ? {} : latencyFields(s)),
          cpuPer1k: per1k(cpu, s.delivered),
          serverCpuPct: Math.round((cpu / span) * 100),
          kernelPct,
          restCpuPer1k: per1k(phase.busy - cpu, s.delivered),
          note: [
            refused,
            pub.failures ? `${pub.failures} publish failures` : '',
            kafka
              ? `produced ${Math.round(run.accepted / ((run.endedAt - run.startedAt) / 1000))}/s`
              : '',
            delays,
            switches,
            gc,
            machine,
          ]
            .filter(Boolean)
            .join('; '),
        };
        ctx.log(
          `  ${kind} ${transport} ${o.scenario} ${o.label}: ${row.delivered}/${row.expected} at ${row.perSec}/s, p99 ${row.p99} ms`,
        );
        return [row];
      } finally {
        pub.close();
        await pool.closeConnections();
        await pool.shutdown();
      }
    });
  } finally {
    await kafka?.close();
  }
}

interface DelayBuckets {
  /** `gateway_kafka_record_age_seconds`: cumulative counts by `le`. */
  readonly arrival: Map<string, number>;
  /** `gateway_delivery_latency_seconds` (store to socket), every transport together. */
  readonly delivery: Map<string, number>;
}

/** A server's /metrics text. */
async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** The gateway's own delay histograms, from /metrics. */
async function delayBuckets(port: number): Promise<DelayBuckets> {
  const text = await scrape(port);
  const read = (name: string) => {
    const counts = new Map<string, number>();
    const bucket = new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\d+)$`, 'gm');
    for (const m of text.matchAll(bucket)) counts.set(m[1], (counts.get(m[1]) ?? 0) + Number(m[2]));
    return counts;
  };
  return {
    arrival: read('gateway_kafka_record_age_seconds'),
    delivery: read('gateway_delivery_latency_seconds'),
  };
}

/**
 * Where a Kafka phase's delay formed. How old its records were when the gateway was handed them
 * (the histogram buckets holding their median and 99th percentile: upper bounds, as coarse as the
 * buckets), and the share of notifications later than 10 ms at three points: on arrival, from the
 * store to the socket, and at the client. A tail made before the gateway (producer, broker,
 * fetch) shows on arrival; one the gateway makes shows from the store to the socket.
 */
function delayNote(before: DelayBuckets, after: DelayBuckets, delivered: Histogram): string {
  const window = (name: keyof DelayBuckets) => {
    const within = (le: string) => (after[name].get(le) ?? 0) - (before[name].get(le) ?? 0);
    const total = within('+Inf');
    return {
      total,
      over10: total ? 1 - within('0.01') / total : NaN,
      bound(q: number) {
        const le = [...after[name].keys()].find((b) => within(b) >= q * total)!;
        return le === '+Inf' ? 'above every bucket' : `≤ ${Number(le) * 1000} ms`;
      },
    };
  };
  const arrival = window('arrival');
  if (arrival.total === 0) return '';
  const pct = (share: number) => `${Math.round(share * 1000) / 10} %`;
  return (
    `age on arrival p50 ${arrival.bound(0.5)}, p99 ${arrival.bound(0.99)}; over 10 ms: ` +
    `${pct(arrival.over10)} on arrival, ${pct(window('delivery').over10)} store→socket, ` +
    `${pct(delivered.shareFrom(10))} publish→client`
  );
}

/** The service's own count of open connections (all transports), from /metrics. */
async function openConnections(port: number): Promise<number> {
  const text = await scrape(port);
  let total = 0;
  for (const m of text.matchAll(/^gateway_connections\{[^}]*\} (\d+)$/gm)) total += Number(m[1]);
  return total;
}

/** S5: broadcasts to `conns` connections at a fixed rate. */
export async function s5Broadcast(
  ctx: BenchContext,
  kind: TargetKind,
  transport: Transport,
  ratePerSecond: number,
) {
  const conns = n(ctx, 10_000);
  return withServer(ctx, kind, transport, 's5', undefined, async (server) => {
    const pool = ClientPool.create(processesFor(conns), server.port, transport, BENCH_SECRET);
    const pub = await publisherFor(server);
    try {
      const refused = statusNote((await pool.connect(users('all-', conns))).statuses);
      await pub.post(broadcastItems());
      await drain(pool, (st) => st.reached >= conns, 5000, 30_000);
      await pool.reset();
      const gc0 = await server.gcPauses();
      const cpu0 = server.cpu();
      const machine0 = machineCpu();
      const run = await publishPaced(pub, broadcastItems, ratePerSecond, 1, ctx.durationMs);
      const expected = run.accepted * conns;
      const s = await drain(pool, (st) => st.delivered >= expected);
      const { cpu, kernelPct } = cpuSince(server, cpu0);
      const phase = machineSince(machine0);
      const machine = machineNote(phase, s.delivered);
      const gc = gcNote(gc0, await server.gcPauses());
      const span = (s.lastAt - run.startedAt) / 1000;
      const row: Row = {
        scenario: 'S5 broadcast',
        transport,
        target: kind,
        label: `${conns} conns, ${ratePerSecond}/s`,
        conns,
        expected,
        delivered: s.delivered,
        lossPct: expected ? Math.round((1 - s.delivered / expected) * 10000) / 100 : 0,
        perSec: Math.round(s.delivered / span),
        ...latencyFields(s),
        cpuPer1k: per1k(cpu, s.delivered),
        serverCpuPct: Math.round((cpu / span) * 100),
        kernelPct,
        restCpuPer1k: per1k(phase.busy - cpu, s.delivered),
        note: [refused, gc, machine].filter(Boolean).join('; '),
      };
      ctx.log(
        `  ${kind} ${transport} S5: ${row.delivered}/${row.expected} at ${row.perSec}/s, p99 ${row.p99} ms`,
      );
      return [row];
    } finally {
      pub.close();
      await pool.closeConnections();
      await pool.shutdown();
    }
  });
}

/**
 * S6: connect/disconnect cycles, RSS before and after. The service runs with a process cap of
 * twice the churn concurrency; afterwards that many connections must all be admitted, which
 * fails if any cycle leaked a limiter slot.
 */
export async function s6Churn(ctx: BenchContext, kind: TargetKind, transport: Transport) {
  const cycles = n(ctx, 10_000);
  const concurrency = 100;
  const cap = 2 * concurrency;
  return withServer(
    ctx,
    kind,
    transport,
    's6',
    { MAX_CONNECTIONS: String(cap) },
    async (server) => {
      const pool = ClientPool.create(2, server.port, transport, BENCH_SECRET);
      try {
        await pool.churn('warm-', Math.min(1000, cycles), concurrency);
        const before = await server.memoryKb();
        const cpu0 = server.cpuSeconds();
        const t0 = Date.now();
        const res = await pool.churn('churn-', cycles, concurrency);
        const seconds = (Date.now() - t0) / 1000;
        const cpu = server.cpuSeconds() - cpu0;
        await sleep(1000);
        const after = await server.memoryKb();
        // As many cycles again: a leak keeps growing, memory the allocator kept after the first
        // round's peak does not.
        await pool.churn('again-', cycles, concurrency);
        await sleep(1000);
        const again = await server.memoryKb();
        const gauge = isService(kind) ? await openConnections(server.port) : undefined;
        const check = await pool.connect(users('after-', cap));
        const ratio = (a: number, b: number) => (a / b).toFixed(3);
        const row: Row = {
          scenario: 'S6 churn',
          transport,
          target: kind,
          label: `${cycles} cycles`,
          conns: cycles,
          perSec: Math.round(res.ok / seconds),
          cpuPer1k: Math.round((cpu / res.ok) * 1000 * 1000) / 1000,
          rssBeforeMb: mb(before.rss),
          rssAfterMb: mb(after.rss),
          note:
            `RSS after/before ${ratio(after.rss, before.rss)} ` +
            `(${ratio(after.rssFullGc, before.rssFullGc)} before V8 returns its free pages), ` +
            `heap in use ${ratio(after.heapUsed, before.heapUsed)}; ` +
            `${cycles} more: RSS ${ratio(again.rss, after.rss)}, heap ${ratio(again.heapUsed, after.heapUsed)}; ` +
            `${check.ok}/${cap} admitted after churn` +
            (gauge !== undefined ? `; gateway_connections after churn ${gauge}` : '') +
            (statusNote(res.statuses) ? `; churn ${statusNote(res.statuses)}` : ''),
        };
        ctx.log(`  ${kind} ${transport} S6: ${row.note}`);
        return [row];
      } finally {
        await pool.closeConnections();
        await pool.shutdown();
      }
    },
  );
}
