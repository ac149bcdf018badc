import { tmpdir } from 'node:os';

/** Where a bench server writes its V8 heap in use after a forced GC (see gc-signal.ts). */
export const heapFile = (pid: number) => `${tmpdir()}/bench-heap-${pid}.json`;

/** Where a bench server writes its GC pauses so far (see gc-signal.ts). */
export const gcFile = (pid: number) => `${tmpdir()}/bench-gc-${pid}.json`;

/** One kind of GC pause: count and time since the server started, the longest since last asked. */
export interface PauseCount {
  count: number;
  totalMs: number;
  maxMs: number;
}

/**
 * Scavenges (young generation), mark-compacts (the final pause of a full GC) and the rest (the
 * start of incremental marking, weak callbacks). Incremental marking's own steps, between the
 * start and the final pause, are not GC callbacks: they are not counted.
 */
export interface GcPauses {
  readonly scavenge: PauseCount;
  readonly markCompact: PauseCount;
  readonly other: PauseCount;
}
