import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Transport } from './load/protocol.js';
import { renderMarkdown } from './report.js';
import { s1Idle, s5Broadcast, s6Churn, unicast, type BenchContext, type Row } from './scenarios.js';
import { roundOrder, type TargetKind } from './targets.js';
import type { KafkaBroker } from '../scripts/kafka/broker.js';
import { warmBroker } from './load/kafka-publisher.js';
import { logProcessWarnings } from '../src/logging/process-warnings.js';

// Node strips the types of this plain-TypeScript script itself (as the Kafka tests' setup does).
const BROKER_SCRIPT = new URL('../../../scripts/kafka/broker.ts', import.meta.url).href;

/**
 * `npm run bench -- [--scenarios S1,S2,...] [--scale 0.1] [--duration 10] [--transports sse,ws]
 * [--targets floor,service[,baseline]] [--rounds 1] [--paced-warmup 20] [--profile]`. Every
 * scenario runs against the floor server and the service in the same run, one fresh server
 * process each; the markdown table and the raw JSON land in bench/results/. `--rounds N` repeats
 * each scenario N times, floor and service in alternating order, and reports medians (a single
 * run's p99 ratio at 2 000/s moved between 0.5x and 4x on this shared machine).
 */
const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: process.env.BENCH_SCENARIOS ?? 'S1,S2,S3,S4,S5,S6' },
    scale: { type: 'string', default: process.env.BENCH_SCALE ?? '1' },
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '10' },
    transports: { type: 'string', default: process.env.BENCH_TRANSPORTS ?? 'sse,ws' },
    targets: { type: 'string', default: process.env.BENCH_TARGETS ?? 'floor,service' },
    rate: { type: 'string', default: '2000' },
    // S3's notifications per publish request (HTTP) or produce call (Kafka), sent every batch/rate s.
    batch: { type: 'string', default: '10' },
    'broadcast-rate': { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
    // Kafka scenarios start a broker from scripts/kafka (or use KAFKA_BROKERS); `--kafka false` skips them.
    kafka: { type: 'string', default: process.env.BENCH_KAFKA ?? 'true' },
    // S2/S3 publish paths to run: `--via kafka` skips the HTTP rows while tuning the Kafka path.
    via: { type: 'string', default: process.env.BENCH_VIA ?? 'http,kafka' },
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '1' },
    // Seconds S3 publishes at its own pace before its timed phase, so the phase finds the path compiled.
    'paced-warmup': { type: 'string', default: process.env.BENCH_PACED_WARMUP ?? '20' },
    // Seconds of produce and fetch at `--rate` the broker gets before the first Kafka row (0: none).
    'kafka-warmup': { type: 'string', default: process.env.BENCH_KAFKA_WARMUP ?? '30' },
    out: { type: 'string', default: 'latest' },
  },
});

// The bench's own producer meets kafkajs's negative timeout as the service does (see there): said
// once per producer in the report's console, it read as a fault of the run.
logProcessWarnings(process, {
  warn: (entry) => console.warn(entry),
  debug: () => undefined,
});

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const scenarios = new Set(list(values.scenarios).map((s) => s.toUpperCase()));
const transports = list(values.transports) as Transport[];
const targets = list(values.targets) as TargetKind[];
const scale = Number(values.scale);
const rounds = Math.max(1, Number(values.rounds));
const resultsDir = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
const ctx: { -readonly [K in keyof BenchContext]: BenchContext[K] } = {
  scale,
  durationMs: Number(values.duration) * 1000,
  pacedWarmupMs: Number(values['paced-warmup']) * 1000,
  profileDir: values.profile ? `${resultsDir}profiles` : undefined,
  log: (line) => console.log(line),
};
const active = Math.max(10, Math.round(1000 * scale));
// Checked before the run starts: S3 comes after minutes of S1 and S2.
const batch = Number(values.batch);
if (!Number.isInteger(batch) || batch < 1 || batch > active) {
  throw new Error(`--batch must be a whole number from 1 to ${active} (one user per notification)`);
}
const idle = Math.max(10, Math.round(18_000 * scale));
if (!(ctx.pacedWarmupMs >= 0))
  throw new Error('--paced-warmup must be a number of seconds, 0 or more');

/** One measurement; a failure becomes a row that says so, and the run goes on. */
async function attempt(
  name: string,
  kind: TargetKind,
  transport: Transport,
  fn: () => Promise<Row[]>,
): Promise<Row[]> {
  try {
    return await fn();
  } catch (err) {
    console.log(`  ${kind} ${transport} ${name} failed: ${(err as Error).message}`);
    return [
      {
        scenario: name,
        transport,
        target: kind,
        label: '',
        note: `failed: ${(err as Error).message}`,
      },
    ];
  }
}

async function each(
  name: string,
  fn: (kind: TargetKind, transport: Transport, round: number) => Promise<Row[]>,
): Promise<Row[]> {
  const rows: Row[] = [];
  if (!scenarios.has(name)) return rows;
  console.log(`${name}`);
  for (let round = 0; round < rounds; round++) {
    for (const transport of transports) {
      for (const kind of roundOrder(targets, round)) {
        const measured = await attempt(name, kind, transport, () => fn(kind, transport, round));
        rows.push(...(rounds > 1 ? measured.map((r) => ({ ...r, round })) : measured));
      }
    }
  }
  return rows;
}

const s4 = (k: TargetKind, t: Transport) =>
  unicast(ctx, k, t, {
    scenario: 'S4 routing',
    via: 'http',
    label: `${active} users + ${idle} idle, http`,
    active,
    idle,
    mode: 'closed',
  });

/** Runs measurements one after another (never two servers at once), their rows in that order. */
async function inOrder(parts: (() => Promise<Row[]>)[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const part of parts) rows.push(...(await part()));
  return rows;
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = loadavg();
  const rows: Row[] = [];
  rows.push(...(await each('S1', (k, t) => s1Idle(ctx, k, t))));
  const rate = Number(values.rate);
  const kafkaOn =
    values.kafka !== 'false' &&
    list(values.via).includes('kafka') &&
    (scenarios.has('S2') || scenarios.has('S3'));
  let broker: KafkaBroker | undefined;
  if (kafkaOn && !process.env.KAFKA_BROKERS) {
    console.log('starting a Kafka broker (scripts/kafka/broker.ts)');
    const { startKafkaBroker } = (await import(
      BROKER_SCRIPT
    )) as typeof import('../scripts/kafka/broker.js');
    // Tuned as Kafka ships it, not for a test suite's fast start: the broker is on the path measured.
    broker = await startKafkaBroker({ jvm: 'production' });
  }
  ctx.kafkaBrokers = process.env.KAFKA_BROKERS ?? broker?.brokers;
  ctx.brokerPid = broker?.pid;
  const warmup = Number(values['kafka-warmup']);
  if (kafkaOn && ctx.kafkaBrokers && warmup > 0) {
    console.log(`warming the broker up: ${warmup} s at ${rate}/s, then 5 s closed loop`);
    await warmBroker(ctx.kafkaBrokers, warmup, rate);
  }
  // Kafka ingest does not depend on the transport: its rows run on the first one only.
  const vias = list(values.via).filter((v) => v === 'http' || (v === 'kafka' && kafkaOn)) as (
    'http' | 'kafka'
  )[];
  // S4 is read against S2 (deliveries/s with idle others ÷ without), so with both in the run each
  // server's S4 runs beside its S2, in alternating order: run last, minutes after S2, S4 measured
  // the machine's drift as well (the floor's own S4 ÷ S2 0.81–1.28x over rounds-session16's three).
  const s4BesideS2 = scenarios.has('S2') && scenarios.has('S4') && vias.includes('http');
  try {
    for (const via of vias) {
      // Over Kafka, S2 also drains a backlog: the gateway's own rate (see UnicastOptions.mode).
      for (const mode of via === 'kafka'
        ? (['closed', 'backlog'] as const)
        : (['closed'] as const)) {
        const s2 = (k: TargetKind, t: Transport) =>
          unicast(ctx, k, t, {
            scenario: 'S2 unicast',
            via,
            label: `${active} users, ${via}${mode === 'backlog' ? ' backlog' : ''}`,
            active,
            idle: 0,
            mode,
          });
        rows.push(
          ...(await each('S2', (k, t, round) => {
            if (via === 'kafka') return t === transports[0] ? s2(k, t) : Promise.resolve([]);
            if (!s4BesideS2) return s2(k, t);
            const both = [
              () => attempt('S2', k, t, () => s2(k, t)),
              () => attempt('S4', k, t, () => s4(k, t)),
            ];
            return inOrder(round % 2 ? both.reverse() : both);
          })),
        );
      }
    }
    for (const via of vias) {
      rows.push(
        ...(await each('S3', (k, t) =>
          via === 'kafka' && t !== transports[0]
            ? Promise.resolve([])
            : unicast(ctx, k, t, {
                scenario: 'S3 latency',
                via,
                // The default batch keeps the label earlier sessions' tables carry.
                label: batch === 10 ? `${rate}/s, ${via}` : `${rate}/s in ${batch}s, ${via}`,
                active,
                idle: 0,
                mode: { ratePerSecond: rate, batch },
              }),
        )),
      );
    }
  } finally {
    await broker?.destroy();
  }
  if (!s4BesideS2) rows.push(...(await each('S4', (k, t) => s4(k, t))));
  rows.push(
    ...(await each('S5', (k, t) => s5Broadcast(ctx, k, t, Number(values['broadcast-rate'])))),
  );
  rows.push(...(await each('S6', (k, t) => s6Churn(ctx, k, t))));

  const md =
    `Run ${started.toISOString()} → ${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model}; ` +
    `load average at start ${load0.map((l) => l.toFixed(2)).join(' ')}, at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ` +
    `node ${process.version}; args: ${process.argv.slice(2).join(' ') || '(defaults)'}\n\n` +
    renderMarkdown(rows);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}${values.out}.md`, md);
  writeFileSync(`${resultsDir}${values.out}.json`, JSON.stringify(rows, null, 2));
  console.log(`\n${md}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
