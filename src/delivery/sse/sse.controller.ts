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
import { DrainCoordinator } from '../../lifecycle/drain-coordinator.js';
import { Metrics } from '../../metrics/metrics.service.js';
import { parseChannels, parseCursor } from '../stream-query.js';
import { UserStreamController } from '../user-stream-controller.decorator.js';
import { HeartbeatWheel } from '../heartbeat-wheel.js';
import { TurnWrites } from '../turn-writes.js';
import { sseHeaders, writeSse, type SseStream, type SseWriterOptions } from './sse.writer.js';

@UserStreamController()
export class SseController {
  private readonly logger = new Logger('Sse');
  private readonly heartbeats: HeartbeatWheel<SseStream>;
  private readonly writer: SseWriterOptions;

  constructor(
    private readonly streams: NotificationStreams,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: Metrics,
    drain: DrainCoordinator,
  ) {
    this.heartbeats = new HeartbeatWheel(config.SSE_HEARTBEAT_MS, (s) => s.heartbeat());
    this.writer = {
      retryMs: config.SSE_RETRY_MS,
      headers: sseHeaders(config.SSE_HEARTBEAT_MS),
      heartbeats: this.heartbeats,
      writes: new TurnWrites(),
      maxBufferedBytes: config.SSE_MAX_PENDING_BYTES,
      onDelivered: (n) => metrics.delivered('sse', n.createdAt),
      onHeartbeat: () => metrics.heartbeat('sse'),
      onSlowClient: () => metrics.slowClientDisconnected('sse'),
      onError: (err) =>
        this.logger.error(`stream failed: ${err instanceof Error ? err.message : String(err)}`),
    };
    // A drained client reconnects after a random part of the drain window, so the other
    // replicas are not hit by every client at once; its Last-Event-ID is untouched.
    drain.onDrain((spreadMs) => {
      for (const stream of this.heartbeats.members()) {
        stream.end(`retry: ${drainRetry(config.SSE_RETRY_MS, spreadMs)}\n\n`);
      }
    });
  }

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
    writeSse(
      req,
      res,
      this.streams.open(principal.userId, { after, channels: filter }),
      this.writer,
    );
  }
}

function drainRetry(retryMs: number, spreadMs: number): number {
  return Math.round(Math.min(retryMs, 1000) + Math.random() * spreadMs);
}
