import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { threadsCpu } from './machine.js';
import { median } from './report.js';
import type { ServerProcess } from './server-process.js';
import { comparedTargets, roundOrder, startTarget, type TargetKind } from './targets.js';

/**
 * What a replica costs while nothing happens: CPU per second (every thread, from the scheduler's
 * nanosecond counters) and main-thread wake-ups per second (its voluntary context switches: each
 * time the event loop sleeps in epoll and something wakes it) of a server with no connections and
 * no requests, beside the floor's SSE server. A timer that fires a hundred times a second costs
 * little each time, but an idle process pays a context switch in and out for every one, and at a
 * low publish rate those wake-ups come between the requests. Rounds alternate the targets (with
 * BENCH_BASELINE_SCRIPT, another build of the service as `baseline`); figures are medians.
 *
 *   npm run bench:idle -- --seconds 20 --rounds 3
 */
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    // Boot's own work (module loading, the JIT, first GCs) is over by then.
    settle: { type: 'string', default: '5' },
  },
});
const seconds = Number(values.seconds);

interface Reading {
  cpuNs: number;
  wakeUps: number;
}

function read(server: ServerProcess): Reading {
  return { cpuNs: threadsCpu(server.pid) * 1e9, wakeUps: server.switches().sleeps };
}

async function measure(
  kind: TargetKind,
): Promise<{ cpuMicrosPerSecond: number; wakeUpsPerSecond: number }> {
  const server = await startTarget({ kind, transport: 'sse', label: 'idle' });
  try {
    await sleep(Number(values.settle) * 1000);
    const before = read(server);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const after = read(server);
    const elapsed = (performance.now() - t0) / 1000;
    return {
      cpuMicrosPerSecond: Math.round((after.cpuNs - before.cpuNs) / 1000 / elapsed),
      wakeUpsPerSecond: Math.round(((after.wakeUps - before.wakeUps) / elapsed) * 10) / 10,
    };
  } finally {
    await server.stop();
  }
}

const kinds = comparedTargets();
const results = new Map<TargetKind, { cpuMicrosPerSecond: number; wakeUpsPerSecond: number }[]>(
  kinds.map((k) => [k, []]),
);
for (let round = 0; round < Number(values.rounds); round++) {
  for (const kind of roundOrder(kinds, round)) {
    const r = await measure(kind);
    results.get(kind)!.push(r);
    console.log(
      `round ${round + 1} ${kind}: ${r.cpuMicrosPerSecond} µs CPU and ${r.wakeUpsPerSecond} wake-ups per second idle`,
    );
  }
}
console.log(
  `\nidle for ${seconds} s after ${values.settle} s; medians over ${values.rounds} rounds:`,
);
for (const kind of kinds) {
  const rs = results.get(kind)!;
  console.log(
    `${kind}: ${median(rs.map((r) => r.cpuMicrosPerSecond))} µs CPU per second, ` +
      `${median(rs.map((r) => r.wakeUpsPerSecond))} wake-ups per second`,
  );
}
