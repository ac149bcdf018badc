import { Controller, Get, Inject, Logger, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import type { ServerResponse } from 'node:http';
import { APP_CONFIG } from '../app.tokens.js';
import type { AppConfig } from '../config/app-config.js';
import { LoopDelayMonitor } from './loop-delay.monitor.js';
import { ReadinessChecks } from './readiness-checks.js';

/** A dependency check slower than this counts as failed: the probe must answer within its timeout. */
export const READINESS_CHECK_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Health');
  private wasReady: boolean | undefined;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly checks: ReadinessChecks,
    private readonly loop: LoopDelayMonitor,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Fails only when the process is wedged, never because a dependency is down. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the event loop is not stalled' })
  @ApiResponse({ status: 200, description: 'alive' })
  @ApiResponse({ status: 503, description: 'the event loop stalled past HEALTH_MAX_LOOP_DELAY_MS' })
  async live(@Res() res: ServerResponse): Promise<void> {
    await this.answer(res, [() => this.eventLoop()]);
  }

  /** Ready for traffic: every registered check (Kafka, Redis, drain) passes. */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: every dependency check passes and the replica is not draining',
  })
  @ApiResponse({ status: 200, description: 'ready' })
  @ApiResponse({ status: 503, description: 'not ready; the body names the failing checks' })
  async ready(@Res() res: ServerResponse): Promise<void> {
    const ok = await this.answer(
      res,
      this.checks.list().map(
        (c) => () =>
          this.indicators
            .check(c.name)
            .attempt(async () => {
              const r = await c.check();
              if (!r.ok) throw new Error(r.detail ?? 'not ready');
              return r.detail === undefined ? {} : { detail: r.detail };
            })
            .withTimeout(READINESS_CHECK_TIMEOUT_MS),
      ),
    );
    if (ok !== this.wasReady) {
      if (ok) this.logger.log('ready');
      else this.logger.warn('not ready');
    }
    this.wasReady = ok;
  }

  private eventLoop() {
    const worstMs = Math.round(this.loop.worstMs());
    const session = this.indicators.check('eventLoop');
    const limitMs = this.config.HEALTH_MAX_LOOP_DELAY_MS;
    return worstMs > limitMs
      ? session.down({ worstMs, limitMs })
      : session.up({ worstMs, limitMs });
  }

  /** Terminus signals failure with an exception; the body is the same shape either way. */
  private async answer(res: ServerResponse, checks: HealthIndicatorFunction[]): Promise<boolean> {
    let status = 200;
    let body: HealthCheckResult | string | object;
    try {
      body = await this.health.check(checks);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      status = 503;
      body = err.getResponse();
    }
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(JSON.stringify(body));
    return status === 200;
  }
}
