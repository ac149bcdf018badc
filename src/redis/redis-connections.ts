import { Redis } from 'ioredis';

/** Where connection-state changes are reported (Nest's Logger in the app, anything in tests). */
export interface RedisLog {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * The two connections a replica keeps to Redis: commands (scripts, leases) and the one pub/sub
 * subscriber. Commands fail at once while Redis is unreachable (no offline queue), so ingest can
 * refuse and retry instead of piling up; the subscriber queues its SUBSCRIBEs and reconnects.
 * The URL is never logged: it may carry a password.
 */
export class RedisConnections {
  readonly command: Redis;
  readonly subscriber: Redis;
  private wasHealthy = false;

  constructor(
    url: string,
    private readonly logger: RedisLog,
  ) {
    const common = {
      // Reconnect forever, backing off to 2 s: replicas must ride out a Redis restart.
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
      lazyConnect: true,
    };
    this.command = new Redis(url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectionName: 'gateway-cmd',
    });
    this.subscriber = new Redis(url, { ...common, connectionName: 'gateway-sub' });
    for (const client of [this.command, this.subscriber]) {
      client.on('ready', () => this.report());
      client.on('close', () => this.report());
      // ioredis reports each failed reconnect here; the state change is what matters.
      client.on('error', () => undefined);
    }
  }

  /** Resolves once both connections are up (boot fails if Redis cannot be reached at all). */
  async connect(): Promise<void> {
    await Promise.all([this.command.connect(), this.subscriber.connect()]);
  }

  /** For readiness: both connections are usable. */
  get healthy(): boolean {
    return this.command.status === 'ready' && this.subscriber.status === 'ready';
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.command.quit(), this.subscriber.quit()]);
    this.command.disconnect();
    this.subscriber.disconnect();
  }

  private report(): void {
    const healthy = this.healthy;
    if (healthy === this.wasHealthy) return;
    this.wasHealthy = healthy;
    if (healthy) this.logger.log('connected');
    else this.logger.warn('connection lost; reconnecting (ingest refused until it is back)');
  }
}
