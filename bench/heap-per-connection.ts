import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { signToken } from '../src/auth/token-verifier.js';
import type { Transport } from './load/protocol.js';
import type { ServerProcess } from './server-process.js';
import { BENCH_SECRET, startTarget, type TargetKind } from './targets.js';

/**
 * What one idle connection keeps on the V8 heap, by object kind: heap snapshots of a server
 * before and after opening `--conns` connections, diffed per connection. The S1 scenario gives
 * the resulting RSS; this says which objects make it up (how the per-connection cuts in
 * bench/RESULTS.md were found).
 *
 *   npm run bench:heap -- --target service --transport sse --conns 2000
 */
const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'service' },
    transport: { type: 'string', default: 'sse' },
    conns: { type: 'string', default: '2000' },
    top: { type: 'string', default: '30' },
  },
});
const kind = values.target as TargetKind;
const transport = values.transport as Transport;
const conns = Number(values.conns);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per object kind (`type:constructor`). */
function summarise(file: string): Map<string, { count: number; bytes: number }> {
  const h = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = h.snapshot.meta.node_fields;
  const types = h.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const kinds = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < h.nodes.length; i += fields.length) {
    const type = types[h.nodes[i + typeAt]];
    // Strings and code are named by their content: one bucket each.
    const name = /string|code|number/.test(type) ? '' : h.strings[h.nodes[i + nameAt]].slice(0, 60);
    const key = `${type}:${name}`;
    const e = kinds.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += h.nodes[i + sizeAt];
    kinds.set(key, e);
  }
  return kinds;
}

async function snapshot(server: ServerProcess, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(server.pid, 'SIGURG');
  for (;;) {
    await sleep(500);
    const file = readdirSync(dir).find((f) => !before.has(f));
    if (!file) continue;
    // Written in chunks: complete once it parses.
    const text = readFileSync(`${dir}/${file}`, 'utf8');
    if (!text.trimEnd().endsWith('}')) continue;
    try {
      JSON.parse(text);
      return `${dir}/${file}`;
    } catch {
      // Still being written.
    }
  }
}

function open(port: number, user: string, token: string, keep: unknown[]): Promise<void> {
  if (transport === 'sse') {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: `/v1/notifications/stream?u=${user}`,
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          agent: false,
        },
        (res) => res.once('data', () => resolve()),
      );
      req.on('error', reject).end();
      keep.push(req);
    });
  }
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws?u=${user}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    ws.on('open', () => ws.send(JSON.stringify({ event: 'subscribe', data: { channels: ['a'] } })));
    ws.once('message', () => resolve());
    ws.on('error', reject);
    keep.push(ws);
  });
}

async function openMany(port: number, prefix: string, n: number, keep: unknown[]): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, async (_, k) => {
        const user = `${prefix}${i + k}`;
        await open(
          port,
          user,
          await signToken(BENCH_SECRET, { sub: user, ttlSeconds: 3600 }),
          keep,
        );
      }),
    );
  }
}

const dir = mkdtempSync(`${tmpdir()}/bench-heap-`);
const server = await startTarget({ kind, transport, label: 'heap', heapSnapshotDir: dir });
const keep: unknown[] = [];
try {
  // Warm every code path first, so the diff holds connections, not lazily built modules.
  await openMany(server.port, 'warm-', 200, keep);
  const rss0 = await server.rssKb();
  const a = summarise(await snapshot(server, dir));
  await openMany(server.port, 'u-', conns, keep);
  const rss1 = await server.rssKb();
  const b = summarise(await snapshot(server, dir));
  const rows = [...b].map(([k, e]) => {
    const o = a.get(k) ?? { count: 0, bytes: 0 };
    return { kind: k, count: (e.count - o.count) / conns, bytes: (e.bytes - o.bytes) / conns };
  });
  const heap = rows.reduce((sum, r) => sum + r.bytes, 0);
  console.log(
    `${kind} ${transport}, ${conns} connections: heap ${(heap / 1024).toFixed(2)} KB/conn, ` +
      `RSS ${((rss1 - rss0) / conns).toFixed(2)} KB/conn (RSS after a snapshot includes its own cost)`,
  );
  console.log('bytes/conn  objects/conn  kind');
  rows
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, Number(values.top))
    .forEach((r) =>
      console.log(
        `${r.bytes.toFixed(0).padStart(10)}  ${r.count.toFixed(2).padStart(12)}  ${r.kind}`,
      ),
    );
} finally {
  for (const c of keep) {
    const socket = c as { destroy?: () => void; terminate?: () => void };
    socket.terminate?.();
    socket.destroy?.();
  }
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
