import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const MEANING: Record<number, string> = {
  400: 'Invalid input; `problems` names each bad field',
  401: 'Missing, invalid or expired token',
  403: 'The token lacks the needed scope',
  413: 'Body larger than allowed',
  429: 'Connection cap reached; retry after `Retry-After` seconds',
};

/** The JSON error shape every failure shares, for the listed statuses. */
export const ApiErrors = (...statuses: (keyof typeof MEANING)[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: MEANING[status],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      }),
    ),
  );
