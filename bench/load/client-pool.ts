import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram } from '../histogram.js';
import type { Command, Endpoint, Reply, Transport, WorkerStats } from './protocol.js';

const WORKER = fileURLToPath(new URL('./client.worker.js', import.meta.url));
/** Well under the 20 000 open files a process may hold here. */
export const MAX_SOCKETS_PER_WORKER = 15_000;

// Each pool takes fresh source addresses: sockets a previous pool closed sit in TIME_WAIT on theirs.
let nextAddress = 10;

export interface PoolStats extends Omit<WorkerStats, 'hist'> {
  hist: Histogram;
}

/** Client processes holding the bench's connections, each on its own 127.0.0.x source address. */
export class ClientPool {
  private constructor(
    private readonly workers: { child: ChildProcess; localAddress: string }[],
    private readonly port: number,
    private readonly transport: Transport,
    private readonly secret: string,
  ) {}

  static create(processes: number, port: number, transport: Transport, secret: string): ClientPool {
    const workers = Array.from({ length: processes }, () => {
      const localAddress = `127.0.0.${nextAddress}`;
      nextAddress = nextAddress >= 250 ? 10 : nextAddress + 1;
      return {
        child: fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
        localAddress,
      };
    });
    return new ClientPool(workers, port, transport, secret);
  }

  get size(): number {
    return this.workers.length;
  }

  private endpoint(i: number): Endpoint {
    return {
      port: this.port,
      transport: this.transport,
      secret: this.secret,
      localAddress: this.workers[i].localAddress,
    };
  }

  private ask(i: number, command: Command): Promise<Reply> {
    const { child } = this.workers[i];
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`client process exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (reply: Reply) => {
        child.off('exit', onExit);
        resolve(reply);
      });
      child.send(command);
    });
  }

  private all(make: (i: number) => Command): Promise<Reply[]> {
    return Promise.all(this.workers.map((_, i) => this.ask(i, make(i))));
  }

  /** Opens one connection per user, spread evenly, ramped `batch` at a time in each process. */
  async connect(
    users: string[],
    batch = 250,
  ): Promise<{ ok: number; statuses: Record<string, number> }> {
    const n = this.workers.length;
    const replies = await this.all((i) => ({
      cmd: 'connect',
      endpoint: this.endpoint(i),
      users: users.filter((_, k) => k % n === i),
      batch,
    }));
    return summarise(replies);
  }

  /** Connect/disconnect cycles, `concurrency` at a time across the pool. */
  async churn(prefix: string, cycles: number, concurrency: number) {
    const n = this.workers.length;
    const replies = await this.all((i) => ({
      cmd: 'churn',
      endpoint: this.endpoint(i),
      prefix: `${prefix}${i}-`,
      cycles: Math.ceil(cycles / n),
      concurrency: Math.max(1, Math.floor(concurrency / n)),
    }));
    return summarise(replies);
  }

  async reset(): Promise<void> {
    await this.all(() => ({ cmd: 'reset' }));
  }

  async stats(): Promise<PoolStats> {
    const replies = (await this.all(() => ({ cmd: 'stats' }))) as (WorkerStats & { ev: 'stats' })[];
    const hist = new Histogram();
    const out: PoolStats = {
      delivered: 0,
      reached: 0,
      firstAt: 0,
      lastAt: 0,
      open: 0,
      dropped: 0,
      hist,
    };
    for (const r of replies) {
      out.delivered += r.delivered;
      out.reached += r.reached;
      out.open += r.open;
      out.dropped += r.dropped;
      if (r.firstAt && (!out.firstAt || r.firstAt < out.firstAt)) out.firstAt = r.firstAt;
      out.lastAt = Math.max(out.lastAt, r.lastAt);
      hist.merge(Histogram.fromSparse(r.hist));
    }
    return out;
  }

  async closeConnections(): Promise<void> {
    await this.all(() => ({ cmd: 'close' }));
  }

  async shutdown(): Promise<void> {
    await Promise.all(
      this.workers.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.disconnect();
          }),
      ),
    );
  }
}

function summarise(replies: Reply[]): { ok: number; statuses: Record<string, number> } {
  const statuses: Record<string, number> = {};
  let ok = 0;
  for (const r of replies) {
    if (r.ev !== 'connected' && r.ev !== 'churned') continue;
    ok += r.ok;
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  }
  return { ok, statuses };
}
