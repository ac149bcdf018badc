import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Histogram } from './histogram.js';
import { ClientPool, type PoolStats } from './load/client-pool.js';
import type { Transport } from './load/protocol.js';
import { publishPaced, unicastItems, type HttpPublisher } from './load/publisher.js';
import { machineCpu, machineNote, machineSince, threadsCpu } from './machine.js';
import { publisherFor, warmUp } from './scenarios.js';
import type { ServerProcess } from './server-process.js';
import { compareSlices, type Slice, type SliceFigure } from './slices.js';
import { BENCH_SECRET, startTarget, type TargetKind } from './targets.js';

/**
 * S3 (paced unicast over the HTTP batch API) with both targets up at once, each with its own
 * clients, and the publisher switching between them every `--slice` seconds, in turn. Run as the
 * main bench runs it, one target after the other minutes apart, the same build read 1.02-1.13x
 * itself in CPU per delivery over six pairs of rounds (bench/RESULTS.md, sixteenth session): the
 * machine's speed drifts over minutes, for every process at once. Here each slice is set against
 * the other target's slices on either side of it, seconds away, so the drift cancels (see
 * compareSlices), and the many slices give an interval for each ratio instead of the range of a
 * few rounds. CPU comes from each thread's schedstat, to the nanosecond.
 *
 *   npm run bench:interleaved -- [--transports sse,ws] [--slots 30] [--slice 2] [--warmup 20]
 *   BENCH_BASELINE_SCRIPT=<another build's main.js> npm run bench:interleaved -- --targets baseline,service
 */
const { values } = parseArgs({
  options: {
    transports: { type: 'string', default: 'sse,ws' },
    targets: { type: 'string', default: 'floor,service' },
    users: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '10' },
    slice: { type: 'string', default: '2' },
    slots: { type: 'string', default: '30' },
    // Seconds each target publishes at the scenario's pace, in turns, before the timed slots (see S3's).
    warmup: { type: 'string', default: '20' },
    out: { type: 'string', default: 'interleaved-latest' },
  },
});

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const number = (name: keyof typeof values, min: number) => {
  const x = Number(values[name]);
  if (!(x >= min)) throw new Error(`--${name} must be a number, at least ${min}`);
  return x;
};
const transports = list(values.transports) as Transport[];
// Two targets by default: with three up, the one started last read 0.87-0.98x the CPU per
// delivery of an identical build started before it, in each of nine phases (bench/RESULTS.md,
// seventeenth session); with two, 1.03x and 0.99x.
const targets = list(values.targets) as TargetKind[];
if (targets.length < 2) throw new Error('--targets needs two targets or more to compare');
const userCount = number('users', 1);
const rate = number('rate', 1);
const batch = number('batch', 1);
if (!Number.isInteger(batch) || batch > userCount)
  throw new Error(`--batch must be a whole number up to --users (one user per notification)`);
const sliceMs = number('slice', 0.1) * 1000;
const slots = number('slots', 2);
const warmupMs = number('warmup', 0) * 1000;
const users = Array.from({ length: userCount }, (_, i) => `active-${i}`);

interface Target {
  readonly kind: TargetKind;
  readonly server: ServerProcess;
  readonly pool: ClientPool;
  readonly pub: HttpPublisher;
  readonly slices: Slice[];
  readonly hist: Histogram;
  /** Notifications of the next slice start at this tick, so each goes to the next user in turn. */
  tick: number;
}

async function open(kind: TargetKind, transport: Transport): Promise<Target> {
  const server = await startTarget({ kind, transport, label: 'interleaved' });
  const pool = ClientPool.create(2, server.port, transport, BENCH_SECRET);
  const pub = await publisherFor(server);
  const target: Target = { kind, server, pool, pub, slices: [], hist: new Histogram(), tick: 0 };
  const { ok } = await pool.connect(users);
  if (ok !== users.length) {
    await close(target);
    throw new Error(`${kind} ${transport}: ${ok} of ${users.length} connections admitted`);
  }
  return target;
}

async function close(t: Target): Promise<void> {
  t.pub.close();
  await t.pool.closeConnections();
  await t.pool.shutdown();
  await t.server.stop();
}

const send = (t: Target, ms: number) =>
  publishPaced(t.pub, (k) => unicastItems(users, (t.tick + k) * batch, batch), rate, batch, ms);

/** Every delivery of what was accepted, or a failure: a slice that lost some measured nothing. */
async function delivered(t: Target, accepted: number): Promise<PoolStats> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await t.pool.stats();
    if (s.delivered >= accepted) return s;
    if (Date.now() > deadline)
      throw new Error(`${t.kind}: ${s.delivered} of ${accepted} notifications delivered`);
    await sleep(5);
  }
}

/** One turn of `t`: paced for a slice, every delivery awaited, its CPU and latencies. */
async function slice(t: Target, seq: number): Promise<{ slice: Slice; hist: Histogram }> {
  const cpu0 = threadsCpu(t.server.pid);
  const run = await send(t, sliceMs);
  const s = await delivered(t, run.accepted);
  const cpu = threadsCpu(t.server.pid) - cpu0;
  t.tick += Math.round(run.accepted / batch);
  if (t.pub.failures) throw new Error(`${t.kind}: ${t.pub.failures} publish requests failed`);
  await t.pool.reset();
  return {
    slice: {
      seq,
      cpu,
      delivered: s.delivered,
      p50: s.hist.quantile(0.5),
      p99: s.hist.quantile(0.99),
    },
    hist: s.hist,
  };
}

/**
 * Slot `slot`'s order: the first target, then the others, reversed in odd slots. No slice follows
 * its own target's, and with three targets each follows each of the other two equally often.
 * Reversing whole slots (the main bench's roundOrder) put a target after itself every other
 * slot, its code and data still in the caches: in an A/A run the build that did read 0.94x the
 * other's p50. This order does not remove the start-order effect described at `targets`.
 */
function slotOrder<T>(targets: readonly T[], slot: number): readonly T[] {
  return slot % 2 ? [targets[0], ...targets.slice(1).reverse()] : targets;
}

interface Measured {
  readonly transport: Transport;
  readonly targets: readonly {
    readonly kind: TargetKind;
    readonly slices: readonly Slice[];
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
  }[];
  readonly machine: string;
}

async function measure(transport: Transport): Promise<Measured> {
  const opened: Target[] = [];
  try {
    for (const kind of targets) opened.push(await open(kind, transport));
    for (const t of opened) {
      await warmUp(
        t.pool,
        (from, size) => t.pub.post(unicastItems(users, from, size)),
        users,
        5000,
      );
    }
    // Warmed up in the same turns as the timed slots, so that no target sits idle for longer than
    // a turn between its warm-up and the first slot.
    let seq = 0;
    for (let slot = 0; slot < Math.ceil(warmupMs / sliceMs); slot++)
      for (const t of slotOrder(opened, slot)) await slice(t, seq++);
    const machine0 = machineCpu();
    for (let slot = 0; slot < slots; slot++) {
      for (const t of slotOrder(opened, slot)) {
        const measured = await slice(t, seq++);
        t.slices.push(measured.slice);
        t.hist.merge(measured.hist);
      }
      if ((slot + 1) % 10 === 0) console.log(`  ${transport}: ${slot + 1} of ${slots} slots`);
    }
    const deliveries = opened.reduce((a, t) => a + t.hist.total, 0);
    return {
      transport,
      targets: opened.map((t) => ({
        kind: t.kind,
        slices: t.slices,
        p50: t.hist.quantile(0.5),
        p99: t.hist.quantile(0.99),
        max: t.hist.max,
      })),
      machine: machineNote(machineSince(machine0), deliveries),
    };
  } finally {
    for (const t of opened) await close(t);
  }
}

const FIGURES: readonly [SliceFigure, string][] = [
  ['cpuPer1k', 'CPU/1k'],
  ['p50', 'p50'],
  ['p99', 'p99'],
];

function render(results: readonly Measured[]): string {
  const lines: string[] = [];
  const x = (r: number) => `${r.toFixed(3)}×`;
  for (const m of results) {
    lines.push(
      `### ${m.transport}: ${slots} slots of ${sliceMs / 1000} s, ${rate}/s in requests of ${batch} to ${userCount} users (${m.machine})`,
      '',
      '| server | delivered | CPU s/1k | p50 ms | p99 ms | max ms |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const t of m.targets) {
      const cpu = t.slices.reduce((a, s) => a + s.cpu, 0);
      const n = t.slices.reduce((a, s) => a + s.delivered, 0);
      lines.push(
        `| ${t.kind} | ${n} | ${((cpu / n) * 1000).toFixed(4)} | ${t.p50.toFixed(2)} | ${t.p99.toFixed(2)} | ${t.max.toFixed(2)} |`,
      );
    }
    lines.push(
      '',
      '| ratio | figure | overall | mean of pairs (95 %) | first half | second half |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    // Every later target against each earlier one: with the floor, a baseline and the service,
    // both builds against the floor and the service against the baseline.
    const pairs = m.targets.flatMap((of, i) =>
      m.targets.slice(0, i).map((to) => [of, to] as const),
    );
    for (const [of, reference] of pairs) {
      for (const [figure, name] of FIGURES) {
        const pooled =
          figure === 'cpuPer1k' ? undefined : { of: of[figure], to: reference[figure] };
        const r = compareSlices(of.slices, reference.slices, figure, pooled);
        lines.push(
          `| ${of.kind} ÷ ${reference.kind} | ${name} | ${x(r.overall)} | ${x(r.mean)} (${x(r.low)}–${x(r.high)}) | ${x(r.halves[0])} | ${x(r.halves[1])} |`,
        );
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}

const resultsDir = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
const started = new Date();
const results: Measured[] = [];
for (const transport of transports) {
  console.log(`${transport}: ${targets.join(', ')}`);
  results.push(await measure(transport));
}
const md =
  `Run ${started.toISOString()} → ${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model}; ` +
  `node ${process.version}; npm run bench:interleaved -- ${process.argv.slice(2).join(' ') || '(defaults)'}` +
  `${process.env.BENCH_BASELINE_SCRIPT ? `; baseline ${process.env.BENCH_BASELINE_SCRIPT}` : ''}\n\n` +
  render(results);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(`${resultsDir}${values.out}.md`, md);
writeFileSync(`${resultsDir}${values.out}.json`, JSON.stringify(results, null, 2));
console.log(`\n${md}`);
