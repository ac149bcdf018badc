import { parseArgs } from 'node:util';
import { PUBLISH_SCOPE, signToken } from '../src/auth/token-verifier.js';
import { Callgrind } from './callgrind.js';
import { ClientPool } from './load/client-pool.js';
import { HttpPublisher, publishPaced, unicastItems } from './load/publisher.js';
import { median } from './report.js';
import { drain } from './scenarios.js';
import {
  BENCH_SECRET,
  comparedTargets,
  roundOrder,
  startTarget,
  type TargetKind,
} from './targets.js';

/**
 * Server CPU per publish request with nobody subscribed, so nothing is delivered: the cost of the
 * publish route itself (parsing, auth, validation, numbering, retention, the answer) beside the
 * floor's bare node:http handler. Rounds alternate floor and service (and, with
 * BENCH_BASELINE_SCRIPT, another build of the service as `baseline`). Back to back by default;
 * with `--rate` (requests/s) the requests come paced for `--duration` seconds, as in S3, where
 * each one finds the process idle and its caches cold. With `--instructions` each server runs
 * under valgrind's callgrind and the figure is the instructions it runs per request instead of
 * CPU time: a count that stays put from run to run, for changes smaller than the noise. With
 * `--subscribers N` the requests go to N users, each holding one SSE connection, so every
 * notification is also delivered (and the figure covers the delivery path too).
 *
 *   npm run bench:publish -- --requests 20000 --batch 10 --rounds 3
 *   npm run bench:publish -- --rate 200 --duration 15 --rounds 5
 *   npm run bench:publish -- --instructions --requests 2000 --rounds 2 [--subscribers 100]
 */
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    inflight: { type: 'string', default: '2' },
    rate: { type: 'string', default: '0' },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '2000' },
    instructions: { type: 'boolean', default: false },
    subscribers: { type: 'string', default: '0' },
    // Leaves callgrind's dumps there for callgrind_annotate (callgrind.<pid>.1-01: the measured
    // requests, main thread).
    'callgrind-dir': { type: 'string' },
  },
});
const requests = Number(values.requests);
const batch = Number(values.batch);
const inflight = Number(values.inflight);
const rate = Number(values.rate);
const subscribers = Number(values.subscribers);
if (subscribers > 0 && subscribers < batch) {
  throw new Error(`--subscribers must be at least --batch (${batch}): one user per notification`);
}
const users = Array.from({ length: subscribers || 1000 }, (_, i) => `u${i}`);

interface Measured {
  readonly perSecond: number;
  readonly cpuMicros: number;
  /** Per request, with `--instructions`: the main thread's and every thread's (see Callgrind). */
  readonly instructions?: { readonly main: number; readonly all: number };
}

async function measure(kind: TargetKind): Promise<Measured> {
  const callgrind = values.instructions ? new Callgrind(values['callgrind-dir']) : undefined;
  const server = await startTarget({
    kind,
    transport: 'sse',
    label: 'publish-cost',
    wrap: callgrind?.wrap,
  });
  const token = await signToken(BENCH_SECRET, { sub: 'bench-publisher', scope: PUBLISH_SCOPE });
  const publisher = new HttpPublisher(server.port, token);
  const pool = subscribers ? ClientPool.create(1, server.port, 'sse', BENCH_SECRET) : undefined;
  try {
    if (pool) {
      const { ok } = await pool.connect(users);
      if (ok !== subscribers) throw new Error(`${ok} of ${subscribers} subscribers connected`);
    }
    // Warm-up: the JIT, the token cache, history's first allocations.
    for (let i = 0; i < Number(values.warmup); i++)
      await publisher.post(unicastItems(users, i * batch, batch));
    if (pool) await delivered(pool, Number(values.warmup) * batch);
    await pool?.reset();
    await callgrind?.zero(server.pid, server.port);
    const cpu0 = server.cpuSeconds();
    const t0 = performance.now();
    let sent = 0;
    if (rate > 0) {
      const run = await publishPaced(
        publisher,
        (k) => unicastItems(users, k * batch, batch),
        rate * batch,
        batch,
        Number(values.duration) * 1000,
      );
      sent = run.accepted / batch;
    } else {
      const worker = async () => {
        while (sent < requests) await publisher.post(unicastItems(users, sent++ * batch, batch));
      };
      await Promise.all(Array.from({ length: inflight }, worker));
    }
    if (pool) await delivered(pool, sent * batch);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = server.cpuSeconds() - cpu0;
    if (publisher.failures) throw new Error(`${publisher.failures} publishes failed`);
    const counted = await callgrind?.count(server.pid, server.port);
    return {
      perSecond: Math.round(sent / seconds),
      cpuMicros: Math.round((cpu / sent) * 1e6),
      instructions: counted && {
        main: Math.round(counted.main / sent),
        all: Math.round(counted.all / sent),
      },
    };
  } finally {
    publisher.close();
    await pool?.shutdown();
    await server.stop();
    callgrind?.close();
  }
}

/** Waits until the subscribers have been sent `expected` notifications since the last reset. */
async function delivered(pool: ClientPool, expected: number): Promise<void> {
  // Quiet for a minute before giving up: under valgrind a server is some 50 times slower.
  const { delivered: got } = await drain(pool, (s) => s.delivered >= expected, 60_000, 600_000);
  if (got < expected) throw new Error(`${got} of ${expected} notifications delivered`);
}

const kinds = comparedTargets();
const results: Record<TargetKind, Measured[]> = {
  floor: [],
  service: [],
  baseline: [],
};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const kind of roundOrder(kinds, round)) {
    const r = await measure(kind);
    results[kind].push(r);
    console.log(
      r.instructions === undefined
        ? `round ${round + 1} ${kind}: ${r.perSecond} requests/s, ${r.cpuMicros} µs CPU per request`
        : `round ${round + 1} ${kind}: ${r.instructions.main} instructions per request on the main thread, ${r.instructions.all} on all`,
    );
  }
}
// Under valgrind CPU time says how slow valgrind is: the count is the figure.
const figure = (r: Measured) => r.instructions?.main ?? r.cpuMicros;
const unit = values.instructions ? 'instructions' : 'µs';
const floorFigure = Math.round(median(results.floor.map(figure)));
const versus = (kind: TargetKind) => {
  const f = Math.round(median(results[kind].map(figure)));
  return `${kind} ${f} ${unit} (${(f / floorFigure).toFixed(2)}×)`;
};
console.log(
  `\nbatch of ${batch}, ${subscribers ? `to ${subscribers} subscribers` : 'nobody subscribed'}, ${rate > 0 ? `${rate} requests/s paced` : `${requests} requests, ${inflight} in flight`}; ` +
    `median ${values.instructions ? 'main-thread instructions' : 'CPU'} per request: ` +
    `floor ${floorFigure} ${unit}, ${kinds.slice(1).map(versus).join(', ')}`,
);
