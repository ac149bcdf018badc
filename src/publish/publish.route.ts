import {
  BadRequestException,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import cors from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { APP_CONFIG } from '../app.tokens.js';
import { authenticateRequest, cachedPrincipal } from '../auth/jwt-auth.guard.js';
import { requirePublishScope } from '../auth/publish-scope.js';
import { TokenVerifier } from '../auth/token-verifier.js';
import { corsOptions } from '../common/cors.options.js';
import { mountFrontRoute } from '../common/front-route.js';
import { sendError } from '../common/http-exception.filter.js';
import type { AppConfig } from '../config/app-config.js';
import type { AppendResult } from '../history/history-store.js';
import { NotificationIngest } from '../ingest/notification-ingest.js';
import { accessLog } from '../logging/access-log.middleware.js';
import { Metrics } from '../metrics/metrics.service.js';
import { readJsonBody } from './json-body.js';

export const PUBLISH_PATH = '/v1/notifications';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * `POST /v1/notifications`: one notification (an object) or a batch (an array), stored all or
 * nothing, answered 202 with an event id per notification.
 *
 * Served in front of Express and Nest: a publish is the one request a busy gateway gets hundreds
 * of times a second, and through Nest's pipeline (router, body parser, guards, interceptors,
 * response serialisation) it cost 2.4 times what a bare node:http handler does (bench/RESULTS.md).
 * It runs the same steps with the same functions: the access log and request id, CORS, the
 * token check and the publish scope, a bounded JSON body, and the shared error shape.
 */
@Injectable()
export class PublishRoute implements OnApplicationBootstrap {
  private readonly logAccess: Middleware;
  private readonly cors?: Middleware;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly ingest: NotificationIngest,
    private readonly verifier: TokenVerifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.logAccess = accessLog(config.LOG_LEVEL);
    if (config.CORS_ALLOWED_ORIGINS) this.cors = cors(corsOptions(config.CORS_ALLOWED_ORIGINS));
  }

  onApplicationBootstrap(): void {
    mountFrontRoute(
      this.adapterHost.httpAdapter.getHttpServer(),
      'POST',
      PUBLISH_PATH,
      (req, res) =>
        this.logAccess(req, res, () => {
          if (this.cors) this.cors(req, res, () => void this.publish(req, res));
          else void this.publish(req, res);
        }),
    );
  }

  private async publish(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // The caller first: an unauthenticated body is never read. A publisher's token is known
      // after its first request, and then the body's listeners are on before Node's parser
      // hands over the body, so it is not buffered in the request stream on the way.
      requirePublishScope(
        cachedPrincipal(this.verifier, req) ?? (await authenticateRequest(this.verifier, req)),
      );
      const results = await this.accept(
        await readJsonBody(req, this.config.PUBLISH_MAX_BODY_BYTES),
      );
      const json = JSON.stringify({ results });
      res.writeHead(202, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(json),
      });
      res.end(json);
    } catch (err) {
      // A body left unread is not drained: the connection closes after the answer.
      if (!req.complete) res.shouldKeepAlive = false;
      sendError(res, err);
    }
  }

  private async accept(body: unknown): Promise<AppendResult[]> {
    const items = Array.isArray(body) ? body : [body];
    if (items.length === 0 || items.length > this.config.PUBLISH_MAX_BATCH) {
      throw new BadRequestException({
        error: 'bad_request',
        message: 'invalid batch',
        problems: [
          {
            field: '(body)',
            message: `a batch holds 1 to ${this.config.PUBLISH_MAX_BATCH} notifications`,
          },
        ],
      });
    }
    const decoded = this.ingest.decode(items);
    if (!decoded.ok) {
      throw new BadRequestException({
        error: 'bad_request',
        message: 'invalid notification',
        problems: decoded.problems,
      });
    }
    const results = await this.ingest.accept(decoded.inputs);
    this.metrics.ingested('http', results.length);
    return results;
  }
}
