import { describe, expect, it } from '@jest/globals';
import { NotificationCodec } from './notification.codec.js';

const codec = new NotificationCodec({ payloadMaxBytes: 1024, maxRecipients: 3 });
const ok = (raw: unknown) => {
  const r = codec.decode(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
};
const fields = (raw: unknown) => {
  const r = codec.decode(raw);
  return r.ok ? [] : r.problems.map((p) => p.field);
};

describe('NotificationCodec', () => {
  it('accepts a unicast and fills the default channel', () => {
    expect(ok({ userId: 'alice', type: 'message.created', payload: { a: 1 } })).toEqual({
      userIds: ['alice'],
      channel: 'default',
      type: 'message.created',
      payloadJson: '{"a":1}',
    });
  });

  it('accepts userIds (deduplicated), broadcast, id and ttl', () => {
    expect(ok({ userIds: ['a', 'b', 'a'], type: 't' }).userIds).toEqual(['a', 'b']);
    expect(ok({ broadcast: true, type: 't' }).userIds).toBeNull();
    const v = ok({ userId: 'a', type: 't', id: 'order-42:shipped', ttlSeconds: 60 });
    expect(v.dedupeKey).toBe('order-42:shipped');
    expect(v.ttlSeconds).toBe(60);
  });

  it('requires exactly one target', () => {
    expect(fields({ type: 't' })).toEqual(['userId']);
    expect(fields({ userId: 'a', broadcast: true, type: 't' })).toEqual(['userId']);
    expect(fields({ broadcast: false, type: 't' })).toEqual(['broadcast']);
  });

  it('bounds recipients and payload size, naming the field', () => {
    expect(fields({ userIds: ['a', 'b', 'c', 'd'], type: 't' })).toEqual(['userIds']);
    const r = codec.decode({ userId: 'a', type: 't', payload: 'x'.repeat(2000) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0].message).toMatch(/2002 bytes.*at most 1024/);
  });

  it.each([
    ['userId', { userId: 'al\nice', type: 't' }],
    ['userId', { userId: 'a'.repeat(129), type: 't' }],
    ['channel', { userId: 'a', channel: 'chat\r\nevent: x', type: 't' }],
    ['type', { userId: 'a', type: 'x\ndata: evil' }],
    ['type', { userId: 'a' }],
    ['id', { userId: 'a', type: 't', id: 'has space' }],
    ['ttlSeconds', { userId: 'a', type: 't', ttlSeconds: 0 }],
    ['ttlSeconds', { userId: 'a', type: 't', ttlSeconds: 1.5 }],
    ['extra', { userId: 'a', type: 't', extra: 1 }],
  ])('rejects a bad %s', (field, raw) => {
    expect(fields(raw)).toEqual([field]);
  });

  it('keeps CR/LF in payloads escaped inside the JSON', () => {
    expect(ok({ userId: 'a', type: 't', payload: 'line1\r\nevent: x' }).payloadJson).toBe(
      '"line1\\r\\nevent: x"',
    );
  });

  it('names the item of a batch', () => {
    const results = codec.decodeBatch([{ userId: 'a', type: 't' }, { userId: 'a' }]);
    expect(results[0].ok).toBe(true);
    expect(results[1].ok ? [] : results[1].problems.map((p) => p.field)).toEqual(['[1].type']);
  });

  it('rejects non-objects', () => {
    expect(fields('hello')).toEqual(['(body)']);
    expect(fields(null)).toEqual(['(body)']);
  });
});
