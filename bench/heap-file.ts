import { tmpdir } from 'node:os';

/** Where a bench server writes its V8 heap in use after a forced GC (see gc-signal.ts). */
export const heapFile = (pid: number) => `${tmpdir()}/bench-heap-${pid}.json`;
