import { describe, expect, it } from '@jest/globals';
import { StoredNotification } from '../../notifications/notification.js';
import { decodeClientFrame, errorFrame, notificationFrame } from './ws-protocol.js';

const text = (v: unknown) => JSON.stringify(v);

describe('decodeClientFrame', () => {
  it('decodes subscribe with and without a cursor', () => {
    expect(
      decodeClientFrame(
        text({ event: 'subscribe', data: { channels: ['chat', 'orders'] } }),
        false,
      ),
    ).toEqual({
      ok: true,
      message: { event: 'subscribe', channels: ['chat', 'orders'], after: null },
    });
    expect(
      decodeClientFrame(
        text({ event: 'subscribe', data: { channels: ['chat'], lastEventId: 'abc123-1f' } }),
        false,
      ),
    ).toEqual({
      ok: true,
      message: { event: 'subscribe', channels: ['chat'], after: { epoch: 'abc123', seq: 51 } },
    });
  });

  it('decodes unsubscribe and ping', () => {
    expect(
      decodeClientFrame(
        Buffer.from(text({ event: 'unsubscribe', data: { channels: ['a'] } })),
        false,
      ),
    ).toEqual({ ok: true, message: { event: 'unsubscribe', channels: ['a'] } });
    expect(decodeClientFrame(text({ event: 'ping', data: 7 }), false)).toEqual({
      ok: true,
      message: { event: 'ping', data: 7 },
    });
    expect(decodeClientFrame(text({ event: 'ping' }), false)).toEqual({
      ok: true,
      message: { event: 'ping', data: null },
    });
  });

  it.each([
    ['not json', 'bad_frame'],
    ['[1,2]', 'bad_frame'],
    [text({ data: {} }), 'bad_frame'],
    [text({ event: 'shout' }), 'unknown_event'],
    [text({ event: 'subscribe' }), 'bad_request'],
    [text({ event: 'subscribe', data: { channels: [] } }), 'bad_request'],
    [text({ event: 'subscribe', data: { channels: ['bad channel'] } }), 'bad_request'],
    [text({ event: 'subscribe', data: { channels: Array(33).fill('a') } }), 'bad_request'],
    [text({ event: 'subscribe', data: { channels: ['a'], lastEventId: 'nope!' } }), 'bad_request'],
    [text({ event: 'subscribe', data: { channels: ['a'], lastEventId: 5 } }), 'bad_request'],
    [text({ event: 'unsubscribe', data: { channels: 'a' } }), 'bad_request'],
  ])('refuses %s with %s', (frame, code) => {
    const r = decodeClientFrame(frame, false);
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.code).toBe(code);
  });

  it('refuses binary frames', () => {
    const r = decodeClientFrame(Buffer.from(text({ event: 'ping' })), true);
    expect(r).toMatchObject({ ok: false, code: 'bad_frame' });
  });
});

describe('server frames', () => {
  it('encodes a notification once and reuses the bytes', () => {
    const n = new StoredNotification(1, 'e1-1', ['u'], 'chat', 't', '{"x":"é"}', 0, 0);
    const frame = notificationFrame(n);
    expect(JSON.parse(frame.toString())).toEqual({
      event: 'notification',
      data: JSON.parse(n.json),
    });
    expect(notificationFrame(n)).toBe(frame);
  });

  it('encodes errors as {code, message}', () => {
    expect(JSON.parse(errorFrame('bad_frame', 'x'))).toEqual({
      event: 'error',
      data: { code: 'bad_frame', message: 'x' },
    });
  });
});
