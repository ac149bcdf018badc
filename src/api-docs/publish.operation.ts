import type { OperationObject } from '@nestjs/swagger';
import { errorResponses } from './api-errors.decorator.js';
import { publishBodySchema, publishResponseSchema } from './openapi.schemas.js';

/** `POST /v1/notifications`, which is served in front of Nest (src/publish/publish.route.ts). */
export const publishOperation: OperationObject = {
  operationId: 'publish',
  summary: 'Publish one notification or a batch',
  description:
    'Needs a token with the scope notifications:publish. Body at most PUBLISH_MAX_BODY_BYTES, ' +
    'as application/json in UTF-8.',
  tags: ['publish'],
  security: [{ bearer: [] }, { cookie: [] }, { query: [] }],
  requestBody: {
    required: true,
    content: { 'application/json': { schema: publishBodySchema } },
  },
  responses: {
    202: {
      description: 'Stored and published',
      content: { 'application/json': { schema: publishResponseSchema } },
    },
    ...errorResponses(400, 401, 403, 413, 415, 503),
  },
};
