import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { processCpu } from './machine.js';
import { gcFile, heapFile, type GcPauses } from './signal-files.js';

/** A server under test, started as its own process so /proc shows only its own RSS and CPU. */
export interface ServerProcess {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  /** Resident set in KB, after a memory-reducing GC (see gc-signal.ts). */
  rssKb(): Promise<number>;
  /**
   * In KB: the resident set after a memory-reducing GC, the resident set after a plain full GC
   * just before it (with the heap pages V8 keeps after a peak), and the V8 heap in use.
   */
  memoryKb(): Promise<{ rss: number; rssFullGc: number; heapUsed: number }>;
  /**
   * Its GC pauses so far; each kind's longest is the longest since the previous call (see
   * gc-signal.ts). `undefined` if the server did not answer in time.
   */
  gcPauses(): Promise<GcPauses | undefined>;
  /** User + system CPU seconds so far. */
  cpuSeconds(): number;
  /** CPU seconds so far in user space and in the kernel (its syscalls and the softirqs they run). */
  cpu(): { user: number; system: number };
  /**
   * Context switches so far: the main thread's voluntary ones (its event loop going to sleep),
   * its involuntary ones (preempted), and the voluntary ones of its other threads (V8's and
   * libuv's helpers).
   */
  switches(): { sleeps: number; preempted: number; helpers: number };
  stop(): Promise<void>;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const ROOT = here('../../../');
/** Every server listens here (its HOST variable). */
export const SERVER_HOST = '127.0.0.1';

/**
 * A command every server is started under, from BENCH_SERVER_WRAP (words split at spaces): for
 * experiments on where the server runs, e.g. `taskset -c 1` to give it a core of its own while
 * the load generator is started under `taskset -c 0`.
 */
const SERVER_WRAP = envWords('BENCH_SERVER_WRAP');

/** An environment variable holding a command or flags, as its words (split at spaces). */
export function envWords(name: string): string[] {
  return (process.env[name] ?? '').split(' ').filter(Boolean);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Whether something answers HTTP on `port` (any status). */
export function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: SERVER_HOST, port, path: '/v1/probe', method: 'GET' }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

export interface StartOptions {
  readonly name: string;
  /** Script relative to the repository root. */
  readonly script: string;
  readonly env?: Record<string, string>;
  /** Directory for a --cpu-prof profile, when profiling. */
  readonly profileDir?: string;
  /** Directory for heap snapshots, written on SIGURG (`bench/heap-per-connection.ts`). */
  readonly heapSnapshotDir?: string;
  /** A command the server runs under (e.g. valgrind), its arguments before Node's. */
  readonly wrap?: readonly string[];
  /** Node/V8 flags for this server alone, after BENCH_SERVER_NODE_FLAGS. */
  readonly nodeFlags?: readonly string[];
}

export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const port = await freePort();
  const args = [
    '--expose-gc',
    '--import',
    here('./gc-signal.js'),
    ...envWords('BENCH_SERVER_NODE_FLAGS'),
    ...(options.nodeFlags ?? []),
  ];
  if (options.profileDir) {
    args.push(
      '--cpu-prof',
      '--cpu-prof-dir',
      options.profileDir,
      '--cpu-prof-name',
      `${options.name}-${Date.now()}.cpuprofile`,
    );
  }
  if (options.heapSnapshotDir) {
    // SIGUSR2, the usual choice, is one of the signals Nest shuts down on.
    args.push('--heapsnapshot-signal=SIGURG', `--diagnostic-dir=${options.heapSnapshotDir}`);
  }
  const [command, ...wrapArgs] = [...SERVER_WRAP, ...(options.wrap ?? []), process.execPath];
  const child: ChildProcess = spawn(command, [...wrapArgs, ...args, options.script], {
    cwd: ROOT,
    env: { ...process.env, ...options.env, PORT: String(port), HOST: SERVER_HOST },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Under a wrapper (valgrind runs Node some 50 times slower) the service boots in minutes.
  const startSeconds = options.wrap ? 600 : 30;
  const deadline = Date.now() + startSeconds * 1000;
  while (!(await probe(port))) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}`);
    if (Date.now() > deadline)
      throw new Error(`${options.name} did not listen within ${startSeconds} s`);
    await sleep(100);
  }
  const pid = child.pid!;
  const server: ServerProcess = {
    name: options.name,
    port,
    pid,
    async rssKb() {
      return (await server.memoryKb()).rss;
    },
    async memoryKb() {
      // The forced GCs take a while on a large heap: no point asking before.
      const heap = await signalled<{ heapUsed: number; rssFullGc: number }>(
        pid,
        'SIGWINCH',
        heapFile(pid),
        700,
      );
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return {
        rss: Number(m![1]),
        rssFullGc: Math.round((heap?.rssFullGc ?? NaN) / 1024),
        heapUsed: Math.round((heap?.heapUsed ?? NaN) / 1024),
      };
    },
    gcPauses() {
      return signalled<GcPauses>(pid, 'SIGTTIN', gcFile(pid), 0);
    },
    cpuSeconds() {
      const { user, system } = server.cpu();
      return user + system;
    },
    cpu() {
      return processCpu(pid);
    },
    switches() {
      const counts = (task: string) => {
        const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
        return {
          voluntary: Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]),
          involuntary: Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]),
        };
      };
      const main = counts(String(pid));
      let helpers = 0;
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        if (task === String(pid)) continue;
        try {
          helpers += counts(task).voluntary;
        } catch {
          // The thread ended between the listing and the read.
        }
      }
      return { sleeps: main.voluntary, preempted: main.involuntary, helpers };
    },
    async stop() {
      // SIGTERM exits through process.exit (see gc-signal.ts); SIGKILL if it lingers.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      rmSync(heapFile(pid), { force: true });
      rmSync(gcFile(pid), { force: true });
      clearTimeout(timer);
    },
  };
  return server;
}

/**
 * Sends `signal` to a server and reads what its preload (gc-signal.ts) writes to `file` in
 * answer, once written after the signal: `undefined` if no answer came within five seconds.
 */
async function signalled<T>(
  pid: number,
  signal: NodeJS.Signals,
  file: string,
  firstWaitMs: number,
): Promise<T | undefined> {
  const sent = Date.now();
  process.kill(pid, signal);
  await sleep(firstWaitMs);
  for (let i = 0; i < 100; i++) {
    try {
      const answer = JSON.parse(readFileSync(file, 'utf8')) as T & { at: number };
      if (answer.at >= sent) return answer;
    } catch {
      // Not written yet, or being written.
    }
    await sleep(50);
  }
  return undefined;
}
