import { startServer, type ServerProcess } from './server-process.js';
import type { Transport } from './load/protocol.js';

export type TargetKind = 'floor' | 'service';

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

const SCRIPTS: Record<TargetKind, Record<Transport, string>> = {
  // BENCH_SERVICE_SCRIPT runs another build of the service (e.g. main's) for before/after figures.
  service: {
    sse: process.env.BENCH_SERVICE_SCRIPT ?? 'dist/main.js',
    ws: process.env.BENCH_SERVICE_SCRIPT ?? 'dist/main.js',
  },
  floor: {
    sse: 'dist/bench-build/bench/floor/sse-floor.server.js',
    ws: 'dist/bench-build/bench/floor/ws-floor.server.js',
  },
};

export interface StartTarget {
  readonly kind: TargetKind;
  readonly transport: Transport;
  readonly env?: Record<string, string>;
  readonly profileDir?: string;
  readonly heapSnapshotDir?: string;
  readonly label: string;
}

export function startTarget(t: StartTarget): Promise<ServerProcess> {
  return startServer({
    name: `${t.label}-${t.kind}-${t.transport}`,
    script: SCRIPTS[t.kind][t.transport],
    env: t.kind === 'service' ? { ...SERVICE_ENV, ...t.env } : {},
    profileDir: t.profileDir,
    heapSnapshotDir: t.heapSnapshotDir,
  });
}
