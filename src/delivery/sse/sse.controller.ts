import {
  Controller,
  Headers,
  Inject,
  Query,
  Sse,
  UseGuards,
  UseInterceptors,
  type MessageEvent,
} from '@nestjs/common';
import { concatWith, defer, EMPTY, map, of, take, takeUntil, tap, type Observable } from 'rxjs';
import { CurrentPrincipal, JwtAuthGuard } from '../../auth/jwt-auth.guard.js';
import type { Principal } from '../../auth/token-verifier.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../app.tokens.js';
import { CountsAsConnection } from '../../connections/connection-cap.guard.js';
import { NotificationStreams, type StreamItem } from '../../hub/notification-streams.js';
import { DrainCoordinator } from '../../lifecycle/drain-coordinator.js';
import { parseChannels, parseCursor } from '../stream-query.js';
import { HeartbeatInterceptor } from './heartbeat.interceptor.js';

@Controller('v1/notifications')
@UseGuards(JwtAuthGuard)
export class SseController {
  constructor(
    private readonly streams: NotificationStreams,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly drain: DrainCoordinator,
  ) {
    // The outgoing buffer cap comes from the configuration, which decorators (run at import)
    // cannot see; Nest reads the route's options when it registers routes, after this runs.
    const route = Object.getOwnPropertyDescriptor(SseController.prototype, 'stream')!;
    Sse('stream', { maxPendingDataLength: config.SSE_MAX_PENDING_BYTES })(
      SseController.prototype,
      'stream',
      route,
    );
  }

  /**
   * The user's notifications as Server-Sent Events. Resumes after `Last-Event-ID` (or the
   * `lastEventId` query parameter, for clients that cannot set headers).
   */
  @Sse('stream')
  @CountsAsConnection('sse')
  @UseInterceptors(HeartbeatInterceptor)
  stream(
    @CurrentPrincipal() principal: Principal,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Query('channels') channels: unknown,
  ): Observable<MessageEvent> {
    const after = lastEventIdHeader
      ? parseCursor(lastEventIdHeader, 'Last-Event-ID')
      : parseCursor(lastEventIdQuery, 'lastEventId');
    const retry = this.config.SSE_RETRY_MS;
    // The client's cursor, until an event moves it: a drain frame must carry it, or Nest would
    // number the frame itself and the client would resume from that number.
    let cursor = after ? ((lastEventIdHeader || lastEventIdQuery) as string) : undefined;
    let spread: number | undefined;
    const draining = this.drain.drain$.pipe(
      take(1),
      tap((ms) => (spread = ms)),
    );
    return this.streams.open(principal.userId, { after, channels: parseChannels(channels) }).pipe(
      map((item, i) => toSse(item, i === 0 ? retry : undefined)),
      tap((event) => (cursor = (event.id as string | undefined) ?? cursor)),
      takeUntil(draining),
      concatWith(
        defer(() =>
          spread === undefined || cursor === undefined
            ? EMPTY
            : of<MessageEvent>({ id: cursor, retry: drainRetry(retry, spread) }),
        ),
      ),
    );
  }
}

/**
 * How long a drained client waits before reconnecting: spread over the drain window so the other
 * replicas are not hit by every client at once.
 */
function drainRetry(retry: number, spreadMs: number): number {
  return Math.round(Math.min(retry, 1000) + Math.random() * spreadMs);
}

function toSse(item: StreamItem, retry: number | undefined): MessageEvent {
  switch (item.kind) {
    case 'notification':
      return {
        id: item.notification.id,
        type: 'notification',
        data: item.notification.json,
        retry,
      };
    case 'reset':
      return {
        id: item.id,
        type: 'reset',
        data: `{"id":"${item.id}","reason":"cursor_unavailable"}`,
        retry,
      };
    case 'position':
      // No data, so EventSource dispatches nothing, but it records the id as its cursor.
      return { id: item.id, retry };
  }
}
