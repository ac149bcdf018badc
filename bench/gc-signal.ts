/**
 * Preloaded into every server the bench starts (service and floors alike, with --expose-gc).
 * SIGWINCH (ignored by default and not one of Nest's shutdown signals) runs a full GC, so RSS is
 * read after garbage is collected rather than whenever V8 last collected. SIGTERM exits through
 * process.exit, so a --cpu-prof profile gets written.
 */
process.on('SIGWINCH', () => (globalThis as { gc?: () => void }).gc?.());
process.on('SIGTERM', () => process.exit(0));
