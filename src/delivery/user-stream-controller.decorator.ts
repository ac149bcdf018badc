import { applyDecorators, Controller, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { JwtAuthGuard } from '../auth/jwt-auth.guard.js';

/**
 * A controller serving the caller's own notifications: authenticated by the same token sources
 * on every transport (header, cookie, query) and documented as such.
 */
export const UserStreamController = () =>
  applyDecorators(
    ApiTags('stream'),
    ApiBearerAuth(),
    ApiCookieAuth(),
    ApiSecurity('query'),
    Controller('v1/notifications'),
    UseGuards(JwtAuthGuard),
  );
