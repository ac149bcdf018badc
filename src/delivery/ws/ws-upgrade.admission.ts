import {
  ForbiddenException,
  HttpException,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { APP_CONFIG, CONNECTION_LIMITER } from '../../app.tokens.js';
import { authenticate } from '../../auth/jwt-auth.guard.js';
import { TokenVerifier, type Principal } from '../../auth/token-verifier.js';
import { httpErrorBody } from '../../common/http-exception.filter.js';
import type { AppConfig } from '../../config/app-config.js';
import { ConnectionCapException } from '../../connections/connection-cap.guard.js';
import type { ConnectionLimiter } from '../../connections/connection-limiter.js';
import { Metrics, type RejectReason } from '../../metrics/metrics.service.js';
import { WsOriginPolicy } from './ws-origin.policy.js';

export interface AdmittedUpgrade {
  readonly principal: Principal;
}

/** The shape of `ws`'s asynchronous `verifyClient` callback. */
export type VerifyDone = (
  verified: boolean,
  code?: number,
  message?: string,
  headers?: OutgoingHttpHeaders,
) => void;

/**
 * Everything that can refuse a WebSocket runs here, before the handshake, so the client gets a
 * real HTTP status with the service's JSON error body: Nest runs no guard on a gateway connection.
 * Order: Origin (403; cheapest, and a cross-site page never gets to make us verify a token),
 * token (401), connection caps shared with SSE and long polling (429).
 */
@Injectable()
export class WsUpgradeAdmission {
  private readonly logger = new Logger('WsUpgrade');
  private readonly origins: WsOriginPolicy;
  private readonly admitted = new WeakMap<IncomingMessage, AdmittedUpgrade>();

  constructor(
    private readonly verifier: TokenVerifier,
    @Inject(CONNECTION_LIMITER) private readonly limiter: ConnectionLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.origins = new WsOriginPolicy(config.WS_ALLOWED_ORIGINS ?? []);
  }

  /** `ws`'s `verifyClient`, asynchronous form (it must declare exactly two parameters). */
  readonly verifyClient = (info: { origin?: string; req: IncomingMessage }, done: VerifyDone) => {
    this.admit(info.req, info.origin).then(
      (refusal) => {
        if (!refusal) {
          this.metrics.connected('ws');
          return done(true);
        }
        this.metrics.rejected(refusal.reason, 'ws');
        done(false, refusal.status, refusal.body, refusal.headers);
      },
      (err: unknown) => {
        this.logger.error(err instanceof Error ? err.stack : String(err));
        const body = JSON.stringify({
          statusCode: 500,
          error: 'internal_error',
          message: 'internal server error',
        });
        done(false, 500, body, { 'Content-Type': 'application/json; charset=utf-8' });
      },
    );
  };

  /** The principal of an upgrade this admitted; each request is handed out once. */
  take(req: IncomingMessage): AdmittedUpgrade | undefined {
    const a = this.admitted.get(req);
    this.admitted.delete(req);
    return a;
  }

  private async admit(req: IncomingMessage, origin: string | undefined): Promise<Refusal | null> {
    if (!this.origins.allows(origin, req.headers.host)) {
      return refusal(
        'origin',
        new ForbiddenException({
          error: 'forbidden',
          message: 'this origin may not open a WebSocket (see WS_ALLOWED_ORIGINS)',
        }),
      );
    }
    let principal: Principal;
    try {
      principal = await authenticate(this.verifier, req);
    } catch (err) {
      if (err instanceof UnauthorizedException) {
        return refusal('auth', err, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      }
      throw err;
    }
    const admission = await this.limiter.admit(principal.userId, 'ws');
    if (!admission.ok) {
      return refusal('cap', new ConnectionCapException(admission.reason, admission.limit), {
        'Retry-After': String(this.config.CONNECTION_RETRY_AFTER_SECONDS),
      });
    }
    // The TCP (or TLS) socket closes exactly once however the connection ends, including a
    // handshake that fails after this point, so the slot cannot leak.
    const socket = req.socket;
    if (socket.destroyed) {
      admission.lease.release();
    } else {
      socket.on('close', admission.lease.release);
      this.admitted.set(req, { principal });
    }
    return null;
  }
}

interface Refusal {
  readonly reason: RejectReason;
  readonly status: number;
  readonly body: string;
  readonly headers: OutgoingHttpHeaders;
}

function refusal(
  reason: RejectReason,
  exception: HttpException,
  headers: OutgoingHttpHeaders = {},
): Refusal {
  return {
    reason,
    status: exception.getStatus(),
    body: JSON.stringify(httpErrorBody(exception)),
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  };
}
