import { envWords, startServer, type ServerProcess } from './server-process.js';
import type { Transport } from './load/protocol.js';

/**
 * `baseline` is another build of the service (`BENCH_BASELINE_SCRIPT`, e.g. main's `dist/main.js`
 * copied aside), measured in the same run as this one, rounds interleaved: two builds measured in
 * separate runs differed by more than most changes do (bench/RESULTS.md, seventh session).
 */
export type TargetKind = 'floor' | 'service' | 'baseline';

export const BENCH_SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/** The service as production runs it, with caps raised so the bench measures cost, not policy. */
export const SERVICE_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  JWT_SECRET: BENCH_SECRET,
  HTTP_PUBLISH_ENABLED: 'true',
  MAX_CONNECTIONS: '60000',
  MAX_CONNECTIONS_PER_USER: '100',
};

const FLOOR_SCRIPTS: Record<Transport, string> = {
  sse: 'dist/bench-build/bench/floor/sse-floor.server.js',
  ws: 'dist/bench-build/bench/floor/ws-floor.server.js',
};

function scriptOf(kind: TargetKind, transport: Transport): string {
  if (kind === 'floor') return FLOOR_SCRIPTS[transport];
  // BENCH_SERVICE_SCRIPT runs another build of the service in place of this one.
  if (kind === 'service') return process.env.BENCH_SERVICE_SCRIPT ?? 'dist/main.js';
  const script = process.env.BENCH_BASELINE_SCRIPT;
  if (!script) throw new Error('the baseline target needs BENCH_BASELINE_SCRIPT (a built main.js)');
  return script;
}

export interface StartTarget {
  readonly kind: TargetKind;
  readonly transport: Transport;
  readonly env?: Record<string, string>;
  readonly profileDir?: string;
  readonly heapSnapshotDir?: string;
  readonly wrap?: readonly string[];
  readonly label: string;
}

export function startTarget(t: StartTarget): Promise<ServerProcess> {
  return startServer({
    name: `${t.label}-${t.kind}-${t.transport}`,
    script: scriptOf(t.kind, t.transport),
    env: isService(t.kind) ? { ...SERVICE_ENV, ...t.env } : {},
    profileDir: t.profileDir,
    heapSnapshotDir: t.heapSnapshotDir,
    wrap: t.wrap,
    nodeFlags: t.kind === 'service' ? SERVICE_NODE_FLAGS : undefined,
  });
}

/**
 * Node flags for the `service` target alone (BENCH_SERVICE_NODE_FLAGS, words split at spaces):
 * with BENCH_BASELINE_SCRIPT=dist/main.js, the same build with and without them in one run.
 */
const SERVICE_NODE_FLAGS = envWords('BENCH_SERVICE_NODE_FLAGS');

/** Either build of the service (not the floor). */
export const isService = (kind: TargetKind) => kind !== 'floor';

/** What a before/after bench compares: the floor, the service, and the baseline when one is named. */
export function comparedTargets(): TargetKind[] {
  return process.env.BENCH_BASELINE_SCRIPT
    ? ['floor', 'baseline', 'service']
    : ['floor', 'service'];
}

/** Round `round`'s order: alternated, so a machine that drifts during a run favours no target. */
export function roundOrder<T>(targets: readonly T[], round: number): readonly T[] {
  return round % 2 ? [...targets].reverse() : targets;
}
