import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { probe, SERVER_HOST } from './server-process.js';

/**
 * Counts the instructions a server runs in user space (every thread: JavaScript, V8's compiler
 * and GC, libuv) with valgrind's callgrind. The same build given the same requests runs about the
 * same count whatever else the machine is doing, where CPU seconds on these shared 2-core VMs
 * move between runs by more than most changes (bench/RESULTS.md, tenth session). What a system
 * call costs in the kernel is not counted, nor what a cache miss costs: a count says how much
 * work a path does, not how long it takes.
 */
export class Callgrind {
  private readonly dir: string;

  /** `keepIn`: a directory to leave the dumps in, for `callgrind_annotate`; else a temporary one. */
  constructor(private readonly keepIn?: string) {
    try {
      execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('counting instructions needs valgrind (apt-get install valgrind)');
    }
    // Absolute: valgrind runs in the server's working directory, not this one.
    this.dir = keepIn ? resolve(keepIn) : mkdtempSync(join(tmpdir(), 'bench-callgrind-'));
    mkdirSync(this.dir, { recursive: true });
  }

  /** The command a server runs under (see `StartOptions.wrap`). */
  get wrap(): string[] {
    return [
      'valgrind',
      '--tool=callgrind',
      // One dump per thread: the main thread's count apart from V8's compiler and GC helpers.
      '--separate-threads=yes',
      `--callgrind-out-file=${this.dir}/callgrind.%p`,
    ];
  }

  /** Starts counting afresh. */
  zero(pid: number, port: number): Promise<void> {
    return this.control(['--zero', String(pid)], port);
  }

  /**
   * Instructions run since `zero`: by the main thread (JavaScript, the GC's share there, libuv,
   * llhttp), and by every thread, which adds V8's background compiler and GC helpers. The
   * compiler's share comes in lumps as functions reach the next tier, so it moves with how long
   * the warm-up was; the main thread's count is the one to compare builds by.
   */
  async count(pid: number, port: number): Promise<{ main: number; all: number }> {
    await this.control(['--dump', String(pid)], port);
    // Dumps are named callgrind.<pid>.<part>-<thread>; the newest part is the one just asked for.
    const name = new RegExp(`^callgrind\\.${pid}\\.(\\d+)-(\\d+)$`);
    const dumps = readdirSync(this.dir)
      .map((f) => name.exec(f))
      .filter((m) => m !== null)
      .map((m) => ({ file: m[0], part: Number(m[1]), thread: Number(m[2]) }));
    if (dumps.length === 0) throw new Error(`callgrind wrote no dump for process ${pid}`);
    const part = Math.max(...dumps.map((d) => d.part));
    let main = 0;
    let all = 0;
    for (const d of dumps.filter((x) => x.part === part)) {
      const summary = /^summary:\s*(\d+)/m.exec(readFileSync(join(this.dir, d.file), 'utf8'));
      if (!summary) throw new Error(`no summary line in callgrind's dump ${d.file}`);
      all += Number(summary[1]);
      if (d.thread === 1) main = Number(summary[1]);
    }
    return { main, all };
  }

  close(): void {
    if (!this.keepIn) rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * callgrind reads a command only while the process runs code, and a server asleep in
   * `epoll_wait` (the floor has no timer) runs none: it is woken with a request it answers 404,
   * one small request beside the thousands counted.
   */
  private async control(args: string[], port: number): Promise<void> {
    // valgrind names the channel callgrind_control talks over after $USER and $HOST, which the
    // server has set to the address it listens on.
    const child = spawn('callgrind_control', args, {
      stdio: 'ignore',
      env: { ...process.env, HOST: SERVER_HOST },
    });
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => {
        exitCode = code;
        resolve();
      });
    });
    while (exitCode === undefined) {
      await Promise.race([exited, sleep(200)]);
      if (exitCode === undefined) await probe(port);
    }
    if (exitCode !== 0) throw new Error(`callgrind_control ${args[0]} exited with ${exitCode}`);
  }
}
