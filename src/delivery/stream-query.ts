import { BadRequestException } from '@nestjs/common';
import { parseEventId, type Cursor } from '../cursor/event-id.js';
import { CHANNEL_PATTERN } from '../notifications/notification.codec.js';

export const MAX_CHANNELS_PER_CONNECTION = 32;

/** Query and header values shared by every transport: the resume cursor and the channel filter. */
export function parseCursor(value: unknown, field: string): Cursor | null {
  if (value === undefined || value === '') return null;
  const cursor = typeof value === 'string' ? parseEventId(value) : null;
  if (!cursor) {
    throw new BadRequestException({
      error: 'bad_request',
      message: 'invalid cursor',
      problems: [{ field, message: 'must be an event id this service issued' }],
    });
  }
  return cursor;
}

export function parseChannels(value: unknown): ReadonlySet<string> | null {
  if (value === undefined || value === '') return null;
  const list = typeof value === 'string' ? value.split(',') : null;
  const bad =
    !list ||
    list.length > MAX_CHANNELS_PER_CONNECTION ||
    list.some((c) => !CHANNEL_PATTERN.test(c));
  if (bad) {
    throw new BadRequestException({
      error: 'bad_request',
      message: 'invalid channels',
      problems: [
        {
          field: 'channels',
          message: `must be a comma-separated list of at most ${MAX_CHANNELS_PER_CONNECTION} channel names`,
        },
      ],
    });
  }
  return new Set(list);
}
