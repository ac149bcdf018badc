import type { SchemaObject } from '@nestjs/swagger';
import { MAX_TOKEN_LENGTH } from '../auth/token-verifier.js';
import {
  CHANNEL_PATTERN,
  DEDUPE_KEY_PATTERN,
  DEFAULT_CHANNEL,
  MAX_TTL_SECONDS,
  TYPE_PATTERN,
  USER_ID_PATTERN,
} from '../notifications/notification.codec.js';

/**
 * Schemas for the OpenAPI document, built from the codec's own patterns and limits so the
 * document cannot drift from what the service accepts (a test publishes the example).
 */
const userId: SchemaObject = { type: 'string', pattern: USER_ID_PATTERN.source, maxLength: 128 };

export const notificationInputSchema: SchemaObject = {
  type: 'object',
  description:
    'One notification. Exactly one of `userId`, `userIds` or `broadcast: true`. ' +
    'Payload at most PAYLOAD_MAX_BYTES as JSON (default 65536); userIds at most MAX_RECIPIENTS (default 1000).',
  additionalProperties: false,
  required: ['type'],
  properties: {
    userId: { ...userId, description: 'The one recipient' },
    userIds: { type: 'array', items: userId, minItems: 1, description: 'Several recipients' },
    broadcast: { type: 'boolean', enum: [true], description: 'Every connected user' },
    channel: {
      type: 'string',
      pattern: CHANNEL_PATTERN.source,
      maxLength: 64,
      default: DEFAULT_CHANNEL,
    },
    type: { type: 'string', pattern: TYPE_PATTERN.source, maxLength: 128 },
    payload: { description: 'Any JSON value, delivered as is' },
    id: {
      type: 'string',
      pattern: DEDUPE_KEY_PATTERN.source,
      maxLength: 200,
      description:
        'Producer idempotency key: a repeat within DEDUPE_TTL_SECONDS is not stored again',
    },
    ttlSeconds: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_TTL_SECONDS,
      description: 'Neither replayed nor delivered after this many seconds',
    },
  },
  example: {
    userId: 'alice',
    channel: 'chat',
    type: 'message.created',
    payload: { text: 'hello' },
    id: 'msg-8f3a',
  },
};

export const publishBodySchema: SchemaObject = {
  oneOf: [
    notificationInputSchema,
    {
      type: 'array',
      items: notificationInputSchema,
      minItems: 1,
      description: 'A batch of at most PUBLISH_MAX_BATCH (default 500), stored all or nothing',
    },
  ],
};

export const publishResponseSchema: SchemaObject = {
  type: 'object',
  properties: {
    results: {
      type: 'array',
      description: 'One per notification, in request order',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', description: 'Event id (the resume cursor)' },
          duplicate: { type: 'boolean', description: 'Seen before within the dedupe window' },
        },
      },
    },
  },
};

export const notificationSchema: SchemaObject = {
  type: 'object',
  description: 'The data every transport carries (docs/protocol.md)',
  properties: {
    id: { type: 'string', description: 'Event id: the resume cursor' },
    channel: { type: 'string' },
    type: { type: 'string' },
    payload: {},
    createdAt: { type: 'string', format: 'date-time' },
  },
};

export const notificationListSchema: SchemaObject = {
  type: 'object',
  required: ['notifications', 'cursor'],
  properties: {
    notifications: { type: 'array', items: notificationSchema },
    cursor: { type: 'string', description: 'Send it back as `after` next time' },
    reset: { type: 'boolean', description: 'The cursor could not be resumed: refetch your state' },
    hasMore: { type: 'boolean', description: 'Listing only: more after `cursor`' },
  },
};

export const errorSchema: SchemaObject = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string', example: 'bad_request' },
    message: { type: 'string' },
    problems: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

export const TOKEN_DESCRIPTION = `A JWT (at most ${MAX_TOKEN_LENGTH} characters), as a Bearer header, an access_token cookie or an access_token query parameter`;
