import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  CHANNEL_PATTERN,
  DEDUPE_KEY_PATTERN,
  MAX_TTL_SECONDS,
  NotificationCodec,
  TYPE_PATTERN,
  USER_ID_PATTERN,
} from './notification.codec.js';

/** The JSON Schema publishers read (docs/) must say exactly what the codec accepts. */
const schema = JSON.parse(
  readFileSync(new URL('../../docs/notification.schema.json', import.meta.url), 'utf8'),
);
const validate = new Ajv2020({ allErrors: true }).compile(schema);
const codec = new NotificationCodec({ payloadMaxBytes: 65_536, maxRecipients: 1000 });

const valid: unknown[] = [
  { userId: 'alice', type: 'message.created' },
  { userId: 'alice', channel: 'chat', type: 'message.created', payload: { text: 'hi' } },
  { userIds: ['a', 'b', 'a'], type: 't', payload: [1, 'two', null] },
  { broadcast: true, type: 'maintenance/start', ttlSeconds: 60 },
  { userId: 'u@example.com', type: 'a:b', id: 'order-42!', payload: null },
  { userId: 'x'.repeat(128), channel: 'c'.repeat(64), type: 't'.repeat(128), id: 'k'.repeat(200) },
  { userId: 'alice', type: 't', ttlSeconds: MAX_TTL_SECONDS },
];

const invalid: unknown[] = [
  null,
  [],
  'text',
  {},
  { type: 't' },
  { userId: 'alice' },
  { userId: 'alice', userIds: ['bob'], type: 't' },
  { userId: 'alice', broadcast: true, type: 't' },
  { broadcast: false, type: 't' },
  { userIds: [], type: 't' },
  { userIds: ['ok', ''], type: 't' },
  { userId: '-alice', type: 't' },
  { userId: 'a b', type: 't' },
  { userId: 'x'.repeat(129), type: 't' },
  { userId: 'alice', type: 't\nx' },
  { userId: 'alice', type: 't'.repeat(129) },
  { userId: 'alice', type: 't', channel: '' },
  { userId: 'alice', type: 't', channel: 'c'.repeat(65) },
  { userId: 'alice', type: 42 },
  { userId: 'alice', type: 't', id: 'has space' },
  { userId: 'alice', type: 't', id: '' },
  { userId: 'alice', type: 't', id: 'k'.repeat(201) },
  { userId: 'alice', type: 't', ttlSeconds: 0 },
  { userId: 'alice', type: 't', ttlSeconds: 1.5 },
  { userId: 'alice', type: 't', ttlSeconds: MAX_TTL_SECONDS + 1 },
  { userId: 'alice', type: 't', extra: 1 },
];

describe('docs/notification.schema.json', () => {
  it('uses the codec’s patterns and bounds', () => {
    expect(schema.properties.userId.pattern).toBe(USER_ID_PATTERN.source);
    expect(schema.properties.userIds.items.pattern).toBe(USER_ID_PATTERN.source);
    expect(schema.properties.channel.pattern).toBe(CHANNEL_PATTERN.source);
    expect(schema.properties.type.pattern).toBe(TYPE_PATTERN.source);
    expect(schema.properties.id.pattern).toBe(DEDUPE_KEY_PATTERN.source);
    expect(schema.properties.ttlSeconds.maximum).toBe(MAX_TTL_SECONDS);
  });

  it.each(valid.map((v) => [JSON.stringify(v).slice(0, 80), v]))(
    'accepts %s, as the codec does',
    (_, v) => {
      expect(codec.decode(v).ok).toBe(true);
      expect(validate(v)).toBe(true);
    },
  );

  it.each(invalid.map((v) => [JSON.stringify(v).slice(0, 80), v]))(
    'rejects %s, as the codec does',
    (_, v) => {
      expect(codec.decode(v).ok).toBe(false);
      expect(validate(v)).toBe(false);
    },
  );
});
