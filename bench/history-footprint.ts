import { parseArgs } from 'node:util';
import { MemoryFeed } from '../src/history/memory-feed.js';
import { MemoryHistoryStore } from '../src/history/memory-history.store.js';
import { NotificationIngest } from '../src/ingest/notification-ingest.js';
import { NotificationCodec } from '../src/notifications/notification.codec.js';

/**
 * Memory per notification the in-memory history retains, for notifications as the bench
 * publishes them (one recipient each, a small payload, parsed from JSON as a publish is): V8 heap
 * (what the GC copies and marks for as long as it is kept) and array buffers outside it (what
 * history packs there, which the GC does not walk), how long a full GC takes with it all held, and
 * what an append costs (wall and process CPU, GC included, over the appends alone).
 *
 *   npm run bench:history -- --notifications 200000 --users 1000
 */
const { values } = parseArgs({
  options: {
    notifications: { type: 'string', default: '200000' },
    users: { type: 'string', default: '1000' },
  },
});
const total = Number(values.notifications);
const users = Number(values.users);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const codec = new NotificationCodec({ payloadMaxBytes: 65_536, maxRecipients: 1000 });
const store = new MemoryHistoryStore(
  {
    maxPerUser: Math.ceil(total / users),
    ttlSeconds: 86_400,
    maxUsers: users,
    dedupeTtlSeconds: 86_400,
    dedupeMaxKeys: 1_000_000,
    dedupeLogWindow: 1_000_000,
  },
  new MemoryFeed(),
  { now: () => Date.now() },
);
const ingest = new NotificationIngest(codec, store);

const memory = () => {
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heapUsed, arrayBuffers };
};
const fullGcMs = () => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    gc();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[2];
};
const before = memory();
const gcBefore = fullGcMs();
let appendMs = 0;
let appendCpuUs = 0;
for (let i = 0; i < total; i += 500) {
  const body = JSON.stringify(
    Array.from({ length: Math.min(500, total - i) }, (_, k) => ({
      userId: `user${(i + k) % users}`,
      channel: 'chat',
      type: 'message.created',
      payload: { t: Date.now(), text: 'the quick brown fox jumps over the lazy dog', n: i + k },
    })),
  );
  const decoded = ingest.decode(JSON.parse(body) as unknown[]);
  if (!decoded.ok) throw new Error(JSON.stringify(decoded.problems));
  const start = performance.now();
  const cpu = process.cpuUsage();
  await ingest.accept(decoded.inputs);
  const used = process.cpuUsage(cpu);
  appendMs += performance.now() - start;
  appendCpuUs += used.user + used.system;
}
const after = memory();
const each = (key: keyof typeof after) => Math.round((after[key] - before[key]) / store.size());
console.log(
  `${store.size()} notifications retained for ${users} users: ` +
    `${each('heapUsed')} bytes of V8 heap and ${each('arrayBuffers')} bytes of array buffers each; ` +
    `a full GC ${fullGcMs().toFixed(1)} ms (${gcBefore.toFixed(1)} ms before publishing); ` +
    `an append ${((appendMs * 1000) / total).toFixed(2)} µs (${(appendCpuUs / total).toFixed(2)} µs of CPU)`,
);
