import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Inject,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCookieAuth,
  ApiOperation,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { publishBodySchema, publishResponseSchema } from '../api-docs/openapi.schemas.js';
import { ApiErrors } from '../api-docs/api-errors.decorator.js';
import { JwtAuthGuard } from '../auth/jwt-auth.guard.js';
import { PublishScopeGuard } from '../auth/publish-scope.guard.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../app.tokens.js';
import { NotificationIngest } from '../ingest/notification-ingest.js';
import { Metrics } from '../metrics/metrics.service.js';

export interface PublishResponse {
  results: { id: string; duplicate: boolean }[];
}

/** HTTP publishing, for services that cannot speak Kafka and for the embedded mode. */
@ApiTags('publish')
@ApiBearerAuth()
@ApiCookieAuth()
@ApiSecurity('query')
@Controller('v1/notifications')
@UseGuards(JwtAuthGuard, PublishScopeGuard)
export class PublishController {
  constructor(
    private readonly ingest: NotificationIngest,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  /** One notification (an object) or a batch (an array), stored all or nothing. */
  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Publish one notification or a batch',
    description:
      'Needs a token with the scope notifications:publish. Body at most PUBLISH_MAX_BODY_BYTES.',
  })
  @ApiBody({ schema: publishBodySchema })
  @ApiResponse({ status: 202, description: 'Stored and published', schema: publishResponseSchema })
  @ApiErrors(400, 401, 403, 413)
  async publish(@Body() body: unknown): Promise<PublishResponse> {
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
    return {
      results: results.map((r) => ({ id: r.id, duplicate: r.duplicate })),
    };
  }
}
