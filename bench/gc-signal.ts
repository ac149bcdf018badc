import { writeFileSync } from 'node:fs';
import { heapFile } from './heap-file.js';

/**
 * Preloaded into every server the bench starts (service and floors alike, with --expose-gc).
 * SIGWINCH (ignored by default and not one of Nest's shutdown signals) runs a full GC, so RSS is
 * read after garbage is collected rather than whenever V8 last collected, and writes the V8 heap
 * in use then to `heapFile(pid)`: RSS also holds pages the allocator keeps after a peak, the heap
 * in use is what a leak would grow. SIGTERM exits through process.exit, so a --cpu-prof profile
 * gets written.
 */
process.on('SIGWINCH', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const { heapUsed } = process.memoryUsage();
  writeFileSync(heapFile(process.pid), JSON.stringify({ heapUsed, at: Date.now() }));
});
process.on('SIGTERM', () => process.exit(0));
