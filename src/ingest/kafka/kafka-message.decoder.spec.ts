import { describe, expect, it } from '@jest/globals';
import { NotificationCodec } from '../../notifications/notification.codec.js';
import { decodeKafkaMessage, IDEMPOTENCY_HEADER } from './kafka-message.decoder.js';

const codec = new NotificationCodec({ payloadMaxBytes: 1024, maxRecipients: 10 });
const decode = (value: Buffer | string | null, headers = {}, offset = '7', maxBytes = 4096) =>
  decodeKafkaMessage(
    codec,
    'notifications:3',
    { value: typeof value === 'string' ? Buffer.from(value) : value, offset, headers },
    maxBytes,
  );
const good = JSON.stringify({ userId: 'alice', type: 'message.created', payload: { a: 1 } });

describe('decodeKafkaMessage', () => {
  it('decodes the publish JSON, recognisable by its position in its partition', () => {
    const d = decode(good);
    expect(d).toEqual({
      ok: true,
      input: {
        userIds: ['alice'],
        channel: 'default',
        type: 'message.created',
        payloadJson: '{"a":1}',
        logPosition: { log: 'notifications:3', offset: 7 },
      },
    });
  });

  it('prefers the message id, then the idempotency-key header', () => {
    const withId = JSON.stringify({ userId: 'a', type: 't', id: 'order-1' });
    const header = { [IDEMPOTENCY_HEADER]: Buffer.from('hdr-1') };
    expect(decode(withId, header)).toMatchObject({ ok: true, input: { dedupeKey: 'order-1' } });
    expect(decode(good, header)).toMatchObject({ ok: true, input: { dedupeKey: 'hdr-1' } });
    expect(decode(good, { [IDEMPOTENCY_HEADER]: 'has space' })).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
  });

  it('names why a record is poison', () => {
    expect(decode(null)).toMatchObject({ ok: false, reason: 'not_json' });
    expect(decode('')).toMatchObject({ ok: false, reason: 'not_json' });
    expect(decode('{"userId":')).toMatchObject({ ok: false, reason: 'not_json' });
    expect(decode(Buffer.from([0x22, 0xc3, 0x28, 0x22]))).toMatchObject({
      ok: false,
      reason: 'not_json',
    });
    expect(decode(JSON.stringify({ userId: 'alice' }))).toMatchObject({
      ok: false,
      reason: 'invalid',
      error: expect.stringMatching(/^type: /),
    });
    expect(decode('[1]')).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses a value over the bound before parsing it', () => {
    const big = JSON.stringify({ userId: 'a', type: 't', payload: 'x'.repeat(200) });
    expect(decode(big, {}, '1', 100)).toEqual({
      ok: false,
      reason: 'too_large',
      error: `value is ${big.length} bytes; at most 100 are allowed`,
    });
  });

  it('bounds the error text it puts in a header', () => {
    const many = JSON.stringify(
      Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, 1])),
    );
    const d = decode(many);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error.length).toBeLessThanOrEqual(1000);
  });
});
