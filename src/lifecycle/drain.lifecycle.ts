import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../app.tokens.js';
import { DrainCoordinator } from './drain-coordinator.js';

/** Margin for Nest's own teardown (HTTP server close, Redis quit) after the drain. */
const TEARDOWN_MS = 3000;

/**
 * Drains inside Nest's shutdown sequence (enableShutdownHooks owns the signals): readiness turns
 * 503 in the first phase; the hooks run before the HTTP server closes, so streams are ended
 * rather than cut. On a signal, reconnects spread over DRAIN_SECONDS and the process is forced out
 * shortly after, whatever hangs; a programmatic close (tests) drains without spreading.
 */
@Injectable()
export class DrainLifecycle implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('Drain');

  constructor(
    private readonly coordinator: DrainCoordinator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

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
    server?.closeIdleConnections();
  }
}
