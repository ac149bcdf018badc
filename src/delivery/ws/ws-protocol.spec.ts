import { describe, expect, it } from '@jest/globals';
import type { EventEmitter } from 'node:events';
import * as ws from 'ws';
import { StoredNotification } from '../../notifications/notification.js';
import { decodeClientFrame, errorFrame, notificationFrame } from './ws-protocol.js';

const text = (v: unknown) => JSON.stringify(v);

// ws's own frame parser: exported by the library, not by its type definitions.
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean }) => EventEmitter & { write(chunk: Buffer): void };
};

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
  /** What a client reads from `frame`, decoded by ws's own parser. */
  const received = (frame: Buffer) =>
    new Promise<string>((resolve, reject) => {
      const receiver = new Receiver({ isServer: false });
      receiver.on('message', (data: Buffer, isBinary: boolean) =>
        isBinary ? reject(new Error('binary')) : resolve(data.toString()),
      );
      receiver.on('error', reject);
      receiver.write(frame);
    });

  it('encodes a notification once, as the whole frame a client reads', async () => {
    const n = new StoredNotification(1, 'e1', ['u'], 'chat', 't', '{"x":"é"}', 0, 0);
    const frame = notificationFrame(n);
    expect(JSON.parse(await received(frame))).toEqual({
      event: 'notification',
      data: JSON.parse(n.json),
    });
    expect(notificationFrame(n)).toBe(frame);
  });

  it('frames payloads of every length class (7-bit, 16-bit, 64-bit lengths)', async () => {
    for (const size of [0, 125, 126, 65_535, 65_536, 200_000]) {
      const payload = JSON.stringify({ text: 'é'.repeat(size) });
      const n = new StoredNotification(2, 'e1', ['u'], 'chat', 't', payload, 0, 0);
      expect(JSON.parse(await received(notificationFrame(n))).data.payload.text).toHaveLength(size);
    }
  });

  it('encodes errors as {code, message}', () => {
    expect(JSON.parse(errorFrame('bad_frame', 'x'))).toEqual({
      event: 'error',
      data: { code: 'bad_frame', message: 'x' },
    });
  });
});
