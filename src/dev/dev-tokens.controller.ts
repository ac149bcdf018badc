import { BadRequestException, Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { TOKEN_SETTINGS } from '../app.tokens.js';
import { PUBLISH_SCOPE, signToken, type TokenSettings } from '../auth/token-verifier.js';
import { USER_ID_PATTERN } from '../notifications/notification.codec.js';

const DEV_TOKEN_MAX_TTL_SECONDS = 12 * 3600;
const DEV_PUBLISHER = 'dev-publisher';

export interface DevTokensResponse {
  userId: string;
  /** A subscriber token for `userId`. */
  token: string;
  /** A token with the publish scope, for the demo's publish form. */
  publisherToken: string;
  expiresAt: string;
}

/**
 * Mints tokens with the dev profile's throwaway secret so the demo page can sign in as anyone.
 * Mounted only in the dev profile (no JWT settings, not production): with real settings the
 * service holds no signing key at all.
 * Left out of the OpenAPI document, which describes what production serves.
 */
@ApiExcludeController()
@Controller('dev')
export class DevTokensController {
  constructor(@Inject(TOKEN_SETTINGS) private readonly settings: TokenSettings) {}

  @Post('tokens')
  @HttpCode(200)
  async mint(@Body() body: unknown): Promise<DevTokensResponse> {
    const { userId, ttlSeconds } = parse(body);
    const secret = this.settings.secret!;
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString();
    return {
      userId,
      token: await signToken(secret, { sub: userId, ttlSeconds }),
      publisherToken: await signToken(secret, {
        sub: DEV_PUBLISHER,
        scope: PUBLISH_SCOPE,
        ttlSeconds,
      }),
      expiresAt,
    };
  }
}

function parse(body: unknown): { userId: string; ttlSeconds: number } {
  const { userId, ttlSeconds = DEV_TOKEN_MAX_TTL_SECONDS } = (body ?? {}) as Record<
    string,
    unknown
  >;
  const problems: { field: string; message: string }[] = [];
  if (typeof userId !== 'string' || !USER_ID_PATTERN.test(userId)) {
    problems.push({
      field: 'userId',
      message: 'must be a user id (1 to 128 of [A-Za-z0-9._:@+-])',
    });
  }
  const ttlOk =
    Number.isInteger(ttlSeconds) &&
    (ttlSeconds as number) >= 1 &&
    (ttlSeconds as number) <= DEV_TOKEN_MAX_TTL_SECONDS;
  if (!ttlOk) {
    problems.push({
      field: 'ttlSeconds',
      message: `must be an integer from 1 to ${DEV_TOKEN_MAX_TTL_SECONDS}`,
    });
  }
  if (problems.length) {
    throw new BadRequestException({ error: 'bad_request', message: 'invalid request', problems });
  }
  return { userId: userId as string, ttlSeconds: ttlSeconds as number };
}
