import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type MessageEvent,
  type NestInterceptor,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { interval, map, merge, Observable, share, takeUntil, last, defaultIfEmpty } from 'rxjs';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../app.tokens.js';
import { Metrics } from '../../metrics/metrics.service.js';

const HEARTBEAT_INTERVAL_HEADER = 'Heartbeat-Interval-Ms';

const HEARTBEAT: MessageEvent = Object.freeze({ comment: 'heartbeat' });

/**
 * Merges an SSE comment into the stream every SSE_HEARTBEAT_MS: it keeps proxies from closing an
 * idle connection and lets the client tell a dead connection from a quiet one. Comments carry no
 * id, so they never move the client's cursor.
 */
@Injectable()
export class HeartbeatInterceptor implements NestInterceptor {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<MessageEvent> {
    // Tells the browser client how long a silence means a stalled stream (a buffering proxy).
    context
      .switchToHttp()
      .getResponse<ServerResponse>()
      .setHeader(HEARTBEAT_INTERVAL_HEADER, String(this.config.SSE_HEARTBEAT_MS));
    const events = (next.handle() as Observable<MessageEvent>).pipe(share());
    const ended = events.pipe(defaultIfEmpty(null), last());
    const beats = interval(this.config.SSE_HEARTBEAT_MS).pipe(
      map(() => {
        this.metrics.heartbeat('sse');
        return HEARTBEAT;
      }),
      takeUntil(ended),
    );
    return merge(events, beats);
  }
}
