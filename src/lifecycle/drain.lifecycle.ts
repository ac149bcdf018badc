import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG, CONNECTION_LIMITER } from '../app.tokens.js';
import type { ConnectionLimiter } from '../connections/connection-limiter.js';
import { ReadinessChecks } from '../health/readiness-checks.js';
import { NotificationHub } from '../hub/notification-hub.js';
import { DrainCoordinator } from './drain-coordinator.js';

/** Margin for Nest's own teardown (HTTP server close, Redis quit) after the drain. */
const TEARDOWN_MS = 3000;
/** How long ended responses get to flush before the server sweeps idle sockets. */
const FLUSH_MS = 2000;

/**
 * Drains inside Nest's shutdown sequence (enableShutdownHooks owns the signals): readiness turns
 * 503 in the first phase; the hooks run before the HTTP server closes, so streams are ended
 * rather than cut. On a signal, reconnects spread over DRAIN_SECONDS and the process is forced out
 * shortly after, whatever hangs; a programmatic close (tests) drains without spreading.
 */
@Injectable()
export class DrainLifecycle implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('Drain');

  constructor(
    private readonly coordinator: DrainCoordinator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly readiness: ReadinessChecks,
    private readonly hub: NotificationHub,
    @Inject(CONNECTION_LIMITER) private readonly limiter: ConnectionLimiter,
  ) {}

  onModuleInit(): void {
    this.readiness.register({
      name: 'drain',
      check: () => (this.coordinator.draining ? { ok: false, detail: 'draining' } : { ok: true }),
    });
  }

  onModuleDestroy(): void {
    this.coordinator.begin();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const spreadMs = signal ? this.config.DRAIN_SECONDS * 1000 : 0;
    if (signal) {
      this.logger.log(`${signal}: draining for up to ${this.config.DRAIN_SECONDS} s`);
      setTimeout(() => {
        this.logger.error('shutdown did not finish in time; exiting');
        process.exit(1);
      }, spreadMs + TEARDOWN_MS).unref();
    }
    // Sockets that go idle once their stream ends would otherwise hold the server's close open
    // for the whole keep-alive timeout.
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server) server.keepAliveTimeout = 1;
    await this.coordinator.drain(spreadMs, spreadMs + 1000);
    // Whatever the hooks left open ends with the hub. Nest closes the HTTP server next, and
    // server.close() only sweeps sockets idle at that moment: let the ended responses finish.
    this.hub.close();
    const deadline = Date.now() + FLUSH_MS;
    while (this.limiter.total > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    server?.closeIdleConnections();
  }
}
