import { ReplaySubject, type Observable } from 'rxjs';

/**
 * What a part of the service does to let its clients go: stop consuming, close sockets, end
 * streams. `spreadMs` is the window over which it may spread the reconnects it causes.
 */
export type DrainHook = (spreadMs: number) => Promise<void> | void;

/**
 * The one place a replica's graceful drain is decided. `draining` turns readiness to 503 at
 * once; each registered hook lets its clients go, in parallel; `drain` resolves when they are all
 * done or the deadline passes, whichever comes first, so shutdown never outlives the grace period.
 */
export class DrainCoordinator {
  private readonly hooks = new Set<DrainHook>();
  private readonly started = new ReplaySubject<number>(1);
  private run: Promise<void> | undefined;
  private flagged = false;

  /** Emits the spread once draining starts (at once to late subscribers), for per-connection use. */
  readonly drain$: Observable<number> = this.started.asObservable();

  get draining(): boolean {
    return this.flagged;
  }

  /** Turns `draining` on (readiness 503) before the hooks run. */
  begin(): void {
    this.flagged = true;
  }

  /** Registers a hook; the returned function unregisters it. */
  onDrain(hook: DrainHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /** Starts draining (idempotent: a second call joins the first). */
  drain(spreadMs: number, deadlineMs: number): Promise<void> {
    this.flagged = true;
    this.run ??= this.runHooks(spreadMs, deadlineMs);
    return this.run;
  }

  private async runHooks(spreadMs: number, deadlineMs: number): Promise<void> {
    this.started.next(spreadMs);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    const hooks = Promise.allSettled([...this.hooks].map(async (hook) => hook(spreadMs)));
    await Promise.race([hooks, deadline]);
    clearTimeout(timer);
  }
}
