import { Get, Headers, Inject, Logger, Query, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { ApiErrors } from '../../api-docs/api-errors.decorator.js';
import { CurrentPrincipal } from '../../auth/jwt-auth.guard.js';
import type { Principal } from '../../auth/token-verifier.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../app.tokens.js';
import { CountsAsConnection } from '../../connections/connection-cap.guard.js';
import { NotificationStreams } from '../../hub/notification-streams.js';
import { Metrics } from '../../metrics/metrics.service.js';
import { parseChannels, parseCursor } from '../stream-query.js';
import { UserStreamController } from '../user-stream-controller.decorator.js';
import { writeSse } from './sse.writer.js';

/** Bound on what may wait for a client that does not read (Nest's @Sse default). */
export const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

@UserStreamController()
export class SseController {
  private readonly logger = new Logger('Sse');

  constructor(
    private readonly streams: NotificationStreams,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /**
   * The user's notifications as Server-Sent Events. Resumes after `Last-Event-ID` (or the
   * `lastEventId` query parameter, for clients that cannot set headers). Bad input throws before
   * anything is written, so it is answered with a plain JSON error.
   */
  @Get('stream')
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
  stream(
    @CurrentPrincipal() principal: Principal,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Query('channels') channels: unknown,
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
  ): void {
    const after = lastEventIdHeader
      ? parseCursor(lastEventIdHeader, 'Last-Event-ID')
      : parseCursor(lastEventIdQuery, 'lastEventId');
    const filter = parseChannels(channels);
    writeSse(req, res, this.streams.open(principal.userId, { after, channels: filter }), {
      retryMs: this.config.SSE_RETRY_MS,
      heartbeatMs: this.config.SSE_HEARTBEAT_MS,
      maxBufferedBytes: SSE_MAX_BUFFERED_BYTES,
      onDelivered: (n) => this.metrics.delivered('sse', n.createdAt),
      onHeartbeat: () => this.metrics.heartbeat('sse'),
      onSlowClient: () => this.metrics.slowClientDisconnected('sse'),
      onError: (err) =>
        this.logger.error(`stream failed: ${err instanceof Error ? err.message : String(err)}`),
    });
  }
}
