import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { ResponseObject } from '@nestjs/swagger';

const MEANING = {
  400: 'Invalid input; `problems` names each bad field',
  401: 'Missing, invalid or expired token',
  403: 'The token lacks the needed scope',
  413: 'Body larger than allowed',
  415: 'Body not JSON in UTF-8, or compressed',
  429: 'Connection cap reached; retry after `Retry-After` seconds',
  503: 'Nothing was stored (the store is unavailable); retry after `Retry-After` seconds',
} as const;

type ErrorStatus = keyof typeof MEANING;

/** The JSON error shape every failure shares, as OpenAPI responses for the listed statuses. */
export function errorResponses(...statuses: ErrorStatus[]): Record<string, ResponseObject> {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: MEANING[status],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
}

/** The same, as decorators on a Nest route. */
export const ApiErrors = (...statuses: ErrorStatus[]) =>
  applyDecorators(
    ...Object.entries(errorResponses(...statuses)).map(([status, response]) =>
      ApiResponse({ status: Number(status), ...response }),
    ),
  );
