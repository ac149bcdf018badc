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
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiHeader,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { map, type Observable } from 'rxjs';
import { ApiErrors } from '../../api-docs/api-errors.decorator.js';
import { CurrentPrincipal, JwtAuthGuard } from '../../auth/jwt-auth.guard.js';
import type { Principal } from '../../auth/token-verifier.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../app.tokens.js';
import { CountsAsConnection } from '../../connections/connection-cap.guard.js';
import { NotificationStreams, type StreamItem } from '../../hub/notification-streams.js';
import { Metrics } from '../../metrics/metrics.service.js';
import { parseChannels, parseCursor } from '../stream-query.js';
import { HeartbeatInterceptor } from './heartbeat.interceptor.js';

@ApiTags('stream')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiSecurity('query')
@Controller('v1/notifications')
@UseGuards(JwtAuthGuard)
export class SseController {
  constructor(
    private readonly streams: NotificationStreams,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /**
   * The user's notifications as Server-Sent Events. Resumes after `Last-Event-ID` (or the
   * `lastEventId` query parameter, for clients that cannot set headers).
   */
  @Sse('stream')
  @ApiOperation({
    summary: "The caller's notifications as Server-Sent Events",
    description:
      'Events `notification` and `reset`, `: heartbeat` comments; see docs/protocol.md. Counts against MAX_CONNECTIONS_PER_USER and MAX_CONNECTIONS.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiQuery({
    name: 'lastEventId',
    required: false,
    description: 'Resume cursor, for clients that cannot set headers',
  })
  @ApiQuery({
    name: 'channels',
    required: false,
    description: 'Comma-separated channel names (at most 32)',
  })
  @ApiResponse({
    status: 200,
    description: 'The event stream',
    content: { 'text/event-stream': {} },
  })
  @ApiErrors(400, 401, 429)
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
    return this.streams.open(principal.userId, { after, channels: parseChannels(channels) }).pipe(
      map((item, i) => {
        if (item.kind === 'notification')
          this.metrics.delivered('sse', item.notification.createdAt);
        return toSse(item, i === 0 ? retry : undefined);
      }),
    );
  }
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
