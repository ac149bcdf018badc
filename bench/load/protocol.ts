/** Messages between the bench coordinator and its client processes (Node IPC). */
export type Transport = 'sse' | 'ws';

export interface Endpoint {
  readonly port: number;
  readonly transport: Transport;
  /** Secret to mint subscriber tokens with (the floor ignores them, but gets them all the same). */
  readonly secret: string;
  /** Source address for every socket of this process: spreads ephemeral ports over 127.0.0.x. */
  readonly localAddress: string;
}

export type Command =
  | { cmd: 'connect'; endpoint: Endpoint; users: string[]; batch: number }
  | { cmd: 'reset' }
  | { cmd: 'stats' }
  | { cmd: 'close' }
  | { cmd: 'churn'; endpoint: Endpoint; prefix: string; cycles: number; concurrency: number };

export interface WorkerStats {
  delivered: number;
  /** Connections that have received at least one notification since the last reset. */
  reached: number;
  firstAt: number;
  lastAt: number;
  hist: { pairs: number[]; max: number };
  open: number;
  dropped: number;
}

export type Reply =
  | { ev: 'connected'; ok: number; failed: number; statuses: Record<string, number> }
  | { ev: 'reset' }
  | ({ ev: 'stats' } & WorkerStats)
  | { ev: 'closed' }
  | { ev: 'churned'; ok: number; failed: number; statuses: Record<string, number> };
