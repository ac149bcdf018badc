import { parseArgs } from 'node:util';
import { PUBLISH_SCOPE, signToken } from '../src/auth/token-verifier.js';
import { HttpPublisher, publishPaced, unicastItems } from './load/publisher.js';
import { median } from './report.js';
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
 * each one finds the process idle and its caches cold.
 *
 *   npm run bench:publish -- --requests 20000 --batch 10 --rounds 3
 *   npm run bench:publish -- --rate 200 --duration 15 --rounds 5
 */
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    inflight: { type: 'string', default: '2' },
    rate: { type: 'string', default: '0' },
    duration: { type: 'string', default: '15' },
  },
});
const requests = Number(values.requests);
const batch = Number(values.batch);
const inflight = Number(values.inflight);
const rate = Number(values.rate);
const users = Array.from({ length: 1000 }, (_, i) => `u${i}`);

async function measure(kind: TargetKind): Promise<{ perSecond: number; cpuMicros: number }> {
  const server = await startTarget({ kind, transport: 'sse', label: 'publish-cost' });
  const token = await signToken(BENCH_SECRET, { sub: 'bench-publisher', scope: PUBLISH_SCOPE });
  const publisher = new HttpPublisher(server.port, token);
  try {
    // Warm-up: the JIT, the token cache, history's first allocations.
    for (let i = 0; i < 2000; i++) await publisher.post(unicastItems(users, i * batch, batch));
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
    const seconds = (performance.now() - t0) / 1000;
    if (publisher.failures) throw new Error(`${publisher.failures} publishes failed`);
    return {
      perSecond: Math.round(sent / seconds),
      cpuMicros: Math.round(((server.cpuSeconds() - cpu0) / sent) * 1e6),
    };
  } finally {
    publisher.close();
    await server.stop();
  }
}

const kinds = comparedTargets();
const results: Record<TargetKind, { perSecond: number; cpuMicros: number }[]> = {
  floor: [],
  service: [],
  baseline: [],
};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const kind of roundOrder(kinds, round)) {
    const r = await measure(kind);
    results[kind].push(r);
    console.log(
      `round ${round + 1} ${kind}: ${r.perSecond} requests/s, ${r.cpuMicros} µs CPU per request`,
    );
  }
}
const floorCpu = median(results.floor.map((r) => r.cpuMicros));
const versus = (kind: TargetKind) => {
  const cpu = median(results[kind].map((r) => r.cpuMicros));
  return `${kind} ${cpu} µs (${(cpu / floorCpu).toFixed(2)}×)`;
};
console.log(
  `\nbatch of ${batch}, ${rate > 0 ? `${rate} requests/s paced` : `${requests} requests, ${inflight} in flight`}; median CPU per request: ` +
    `floor ${floorCpu} µs, ${kinds.slice(1).map(versus).join(', ')}`,
);
