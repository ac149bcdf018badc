import { BadRequestException, Get, Header, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { Observable, takeUntil } from 'rxjs';
import { ApiErrors } from '../../api-docs/api-errors.decorator.js';
import { notificationListSchema } from '../../api-docs/openapi.schemas.js';
import { CurrentPrincipal } from '../../auth/jwt-auth.guard.js';
import type { Principal } from '../../auth/token-verifier.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG, HISTORY_STORE } from '../../app.tokens.js';
import { CountsAsConnection } from '../../connections/connection-cap.guard.js';
import { formatEventId } from '../../cursor/event-id.js';
import type { HistoryStore } from '../../history/history-store.js';
import { NotificationStreams } from '../../hub/notification-streams.js';
import { DrainCoordinator } from '../../lifecycle/drain-coordinator.js';
import { Metrics } from '../../metrics/metrics.service.js';
import type { StoredNotification } from '../../notifications/notification.js';
import { parseChannels, parseCursor } from '../stream-query.js';
import { UserStreamController } from '../user-stream-controller.decorator.js';

/** Body of both endpoints, built from each notification's cached JSON rather than re-serialised. */
function listBody(
  notifications: readonly StoredNotification[],
  cursor: string,
  extra: Record<string, boolean>,
): string {
  const flags = Object.entries(extra)
    .map(([k, v]) => `,"${k}":${v}`)
    .join('');
  return `{"notifications":[${notifications.map((n) => n.json).join(',')}],"cursor":"${cursor}"${flags}}`;
}

function parseInteger(
  value: unknown,
  field: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    throw new BadRequestException({
      error: 'bad_request',
      message: `invalid ${field}`,
      problems: [{ field, message: `must be a whole number from ${min} to ${max}` }],
    });
  }
  return n;
}

/**
 * The fallback for proxies and clients that cannot hold a stream: long polling, and plain
 * polling of the retained history (an inbox view). Same cursor, auth and caps as SSE/WebSocket.
 */
@UserStreamController()
export class LongPollController {
  constructor(
    private readonly streams: NotificationStreams,
    @Inject(HISTORY_STORE) private readonly history: HistoryStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly drain: DrainCoordinator,
  ) {}

  /**
   * Answers at once with what is after `after`; otherwise holds until something arrives or
   * `timeout` seconds pass, then answers an empty list and the same cursor.
   */
  @Get('poll')
  @ApiOperation({
    summary: 'Long polling: answers at once when something is after the cursor, else holds',
    description:
      'Counts against the connection caps while held. At most LONGPOLL_MAX_BATCH notifications per answer.',
  })
  @ApiQuery({ name: 'after', required: false, description: 'Cursor: an event id' })
  @ApiQuery({ name: 'channels', required: false, description: 'Comma-separated channel names' })
  @ApiQuery({
    name: 'timeout',
    required: false,
    description: 'Seconds to hold (0 = plain polling); default LONGPOLL_TIMEOUT_SECONDS',
  })
  @ApiResponse({ status: 200, schema: notificationListSchema })
  @ApiErrors(400, 401, 429)
  @CountsAsConnection('longpoll')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  poll(
    @CurrentPrincipal() principal: Principal,
    @Query('after') afterParam: unknown,
    @Query('channels') channelsParam: unknown,
    @Query('timeout') timeoutParam: unknown,
  ): Observable<string> {
    const after = parseCursor(afterParam, 'after');
    const channels = parseChannels(channelsParam);
    const timeoutMs =
      parseInteger(
        timeoutParam,
        'timeout',
        0,
        this.config.LONGPOLL_MAX_TIMEOUT_SECONDS,
        this.config.LONGPOLL_TIMEOUT_SECONDS,
      ) * 1000;
    const maxBatch = this.config.LONGPOLL_MAX_BATCH;

    return new Observable<string>((subscriber) => {
      const batch: StoredNotification[] = [];
      let cursor = typeof afterParam === 'string' ? afterParam : '';
      let answered = false;
      let flush: NodeJS.Immediate | undefined;
      const answer = (reset = false) => {
        if (answered) return;
        answered = true;
        for (const n of batch) this.metrics.delivered('longpoll', n.createdAt);
        subscriber.next(listBody(batch, cursor, { reset }));
        subscriber.complete();
      };
      // A drain answers held polls at once (empty, same cursor): the client polls another replica.
      const inner = this.streams
        // Plain polling answers once the replay is in: the store may be a network hop away.
        .open(principal.userId, {
          after,
          channels,
          ...(timeoutMs === 0 && { onCaughtUp: () => answer() }),
        })
        .pipe(takeUntil(this.drain.drain$))
        .subscribe({
          next: (item) => {
            if (item.kind === 'position') {
              cursor = item.id;
            } else if (item.kind === 'reset') {
              cursor = item.id;
              answer(true);
            } else {
              batch.push(item.notification);
              cursor = item.notification.id;
              // A replay emits a whole page synchronously: answer once it is in, not per item.
              if (batch.length >= maxBatch) answer();
              else flush ??= setImmediate(() => answer());
            }
          },
          complete: () => answer(),
          error: (err) => subscriber.error(err),
        });
      const timer = timeoutMs > 0 ? setTimeout(() => answer(), timeoutMs) : undefined;
      return () => {
        clearTimeout(timer);
        if (flush) clearImmediate(flush);
        inner.unsubscribe();
      };
    });
  }

  /** Retained notifications after `after` (from the oldest retained without it), oldest first. */
  @Get()
  @ApiOperation({ summary: 'Retained notifications after a cursor, oldest first (inbox view)' })
  @ApiQuery({ name: 'after', required: false, description: 'Cursor: an event id' })
  @ApiQuery({ name: 'channels', required: false, description: 'Comma-separated channel names' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to LONGPOLL_MAX_BATCH; default 100' })
  @ApiResponse({ status: 200, schema: notificationListSchema })
  @ApiErrors(400, 401)
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('after') afterParam: unknown,
    @Query('channels') channelsParam: unknown,
    @Query('limit') limitParam: unknown,
  ): Promise<string> {
    const after = parseCursor(afterParam, 'after');
    const limit = parseInteger(limitParam, 'limit', 1, this.config.LONGPOLL_MAX_BATCH, 100);
    const page = await this.history.read(principal.userId, after, {
      channels: parseChannels(channelsParam),
      limit,
    });
    if (page.kind === 'reset') return listBody([], page.head, { hasMore: false, reset: true });
    const last = page.events.at(-1)?.id;
    const cursor =
      last ?? (typeof afterParam === 'string' && afterParam ? afterParam : await this.startOf());
    return listBody(page.events, cursor, { hasMore: page.hasMore, reset: false });
  }

  /** The id just before every retained notification: a cursor that lists them all. */
  private async startOf(): Promise<string> {
    const head = await this.history.head();
    return formatEventId(head.slice(0, head.lastIndexOf('-')), 0);
  }
}
