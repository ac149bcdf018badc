import {
  applyDecorators,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { principalOf } from '../auth/jwt-auth.guard.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG, CONNECTION_LIMITER } from '../app.tokens.js';
import { Metrics } from '../metrics/metrics.service.js';
import type { ConnectionLimiter, Transport } from './connection-limiter.js';
import { TRANSPORT } from './connection-route.js';

export class ConnectionCapException extends HttpException {
  constructor(reason: 'user_cap' | 'process_cap', limit: number) {
    super(
      {
        error: 'too_many_connections',
        reason,
        message:
          reason === 'user_cap'
            ? `this user already has ${limit} open connections`
            : 'the server is at its connection limit; try another replica or later',
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Takes a connection slot before the handler runs and gives it back when the response closes.
 * A guard rather than an interceptor: Nest commits SSE headers one macrotask after subscribing to
 * the handler's stream, so an asynchronous admission (the cluster-wide Redis limiter) in an
 * interceptor could lose that race and turn a 429 into a 200. The response's `close` event fires
 * exactly once however the exchange ends (client abort, completion, server error, shutdown).
 */
@Injectable()
export class ConnectionCapGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(CONNECTION_LIMITER) private readonly limiter: ConnectionLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const transport = this.reflector.get<Transport>(TRANSPORT, context.getHandler());
    const http = context.switchToHttp();
    const res = http.getResponse<ServerResponse>();
    const { userId } = principalOf(http.getRequest());
    const admission = await this.limiter.admit(userId, transport);
    if (!admission.ok) {
      this.metrics.rejected('cap', transport);
      res.setHeader('Retry-After', String(this.config.CONNECTION_RETRY_AFTER_SECONDS));
      throw new ConnectionCapException(admission.reason, admission.limit);
    }
    this.metrics.connected(transport);
    if (res.closed || res.destroyed) admission.lease.release();
    // The lease's own function, not a closure around it: this lives as long as the stream.
    else res.on('close', admission.lease.release);
    return true;
  }
}

/** Marks a long-lived route: counts against the caps shared by every transport. */
export const CountsAsConnection = (transport: Transport) =>
  applyDecorators(SetMetadata(TRANSPORT, transport), UseGuards(ConnectionCapGuard));
