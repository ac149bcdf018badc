import { writeFileSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { gcFile, heapFile, type GcPauses, type PauseCount } from './signal-files.js';

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Preloaded into every server the bench starts (service and floors alike, with --expose-gc).
 * SIGWINCH (ignored by default and not one of Nest's shutdown signals) collects garbage before
 * RSS is read, so RSS does not depend on when V8 last collected, and writes to `heapFile(pid)`:
 * - `rssFullGc`: RSS after a plain full GC. It still holds the heap pages V8 keeps committed
 *   after a peak (a churn of short-lived connections grows the heap several times what is live).
 * - then a memory-reducing GC (the `last-resort` flavour: compacts and returns free pages, what
 *   V8's memory reducer does on its own once a process goes idle); RSS read after the signal is
 *   the memory the process needs, and `heapUsed` the V8 heap in use, which a leak would grow.
 * SIGTTIN writes the GC pauses so far to `gcFile(pid)`: what stopped the main thread, which a
 * phase's latency tail can be read against. Counts and times add up from the start; each kind's
 * longest pause is the longest since the last SIGTTIN, so one read before a phase and one after
 * give the phase's own.
 * SIGTERM exits through process.exit, so a --cpu-prof profile gets written.
 */
process.on('SIGWINCH', () => {
  const gc = (globalThis as { gc?: Gc }).gc;
  gc?.();
  const rssFullGc = process.memoryUsage.rss();
  gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  const { heapUsed } = process.memoryUsage();
  writeFileSync(heapFile(process.pid), JSON.stringify({ heapUsed, rssFullGc, at: Date.now() }));
});
const pauses: GcPauses = {
  scavenge: { count: 0, totalMs: 0, maxMs: 0 },
  markCompact: { count: 0, totalMs: 0, maxMs: 0 },
  other: { count: 0, totalMs: 0, maxMs: 0 },
};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { kind } = (entry as unknown as { detail: { kind: number } }).detail;
    const p: PauseCount =
      kind === constants.NODE_PERFORMANCE_GC_MINOR
        ? pauses.scavenge
        : kind === constants.NODE_PERFORMANCE_GC_MAJOR
          ? pauses.markCompact
          : pauses.other;
    p.count++;
    p.totalMs += entry.duration;
    p.maxMs = Math.max(p.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });
process.on('SIGTTIN', () => {
  writeFileSync(gcFile(process.pid), JSON.stringify({ ...pauses, at: Date.now() }));
  for (const p of Object.values(pauses)) p.maxMs = 0;
});
process.on('SIGTERM', () => process.exit(0));
