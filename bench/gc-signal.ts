import { writeFileSync } from 'node:fs';
import { heapFile } from './heap-file.js';

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
process.on('SIGTERM', () => process.exit(0));
