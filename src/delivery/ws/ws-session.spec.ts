import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Subject } from 'rxjs';
import { ManualClock } from '../../common/clock.js';
import type { NotificationStreams, StreamItem } from '../../hub/notification-streams.js';
import { StoredNotification } from '../../notifications/notification.js';
import { TurnWrites } from '../turn-writes.js';
import { WsSession, type WsCloseCause, type WsPeer } from './ws-session.js';

class FakePeer implements WsPeer {
  readyState = 1;
  writableLength = 0;
  readonly sent: { event: string; data: unknown }[] = [];
  closedWith?: { code: number; reason: string };
  send(data: string, options: { binary: boolean }): void {
    expect(options.binary).toBe(false);
    this.sent.push(JSON.parse(data));
  }
  /** Shared frames come whole: a text frame of the server (no mask), short enough here. */
  write(frame: Buffer): boolean {
    expect([frame[0], frame[1] < 126]).toEqual([0x81, true]);
    this.sent.push(JSON.parse(frame.subarray(2).toString()));
    return true;
  }
  ping(): void {}
  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
  terminate(): void {
    this.readyState = 3;
  }
  cork(): void {}
  uncork(): void {}
}

const note = (seq: number, channel: string) =>
  new StoredNotification(seq, 'e', ['u'], channel, 't', '{}', 0, 0);

describe('WsSession', () => {
  const sessions: WsSession[] = [];
  afterEach(() => sessions.splice(0).forEach((s) => s.dispose()));

  const make = (options: { maxBufferedBytes?: number; expiresAt?: number } = {}) => {
    const clock = new ManualClock();
    const peer = new FakePeer();
    const items = new Subject<StreamItem>();
    const opened: unknown[] = [];
    const streams = {
      open: (_user: string, o: unknown) => {
        opened.push(o);
        return items.asObservable();
      },
    } as unknown as NotificationStreams;
    const causes: WsCloseCause[] = [];
    const session = new WsSession(
      peer,
      peer,
      'u',
      options.expiresAt ?? clock.now() + 60_000,
      streams,
      {
        pingIntervalMs: 60_000,
        pongTimeoutMs: 60_000,
        maxBufferedBytes: options.maxBufferedBytes ?? 1 << 20,
        ratePerSecond: 10,
        rateBurst: 20,
        writes: new TurnWrites(),
      },
      clock,
      { delivered: () => {}, pinged: () => {}, closedBy: (c) => causes.push(c) },
    );
    sessions.push(session);
    const frame = (event: string, data?: unknown) =>
      session.onMessage(Buffer.from(JSON.stringify({ event, data })), false);
    return { peer, items, opened, causes, session, frame, clock };
  };

  it('acknowledges every subscribe once the stream has its start position', () => {
    const { peer, items, opened, frame } = make();
    frame('subscribe', { channels: ['a'] });
    frame('subscribe', { channels: ['b'] });
    expect(opened).toHaveLength(1);
    expect(peer.sent).toEqual([]);
    items.next({ kind: 'position', id: 'e-5' });
    expect(peer.sent).toEqual([
      { event: 'subscribed', data: { channels: ['a', 'b'], id: 'e-5' } },
      { event: 'subscribed', data: { channels: ['a', 'b'], id: 'e-5' } },
    ]);
    items.next({ kind: 'notification', notification: note(6, 'c') });
    frame('subscribe', { channels: ['c'] });
    expect(peer.sent.at(-1)).toEqual({
      event: 'subscribed',
      data: { channels: ['a', 'b', 'c'], id: 'e-6' },
    });
  });

  it('delivers only subscribed channels and stops one on unsubscribe', () => {
    const { peer, items, frame } = make();
    frame('subscribe', { channels: ['a', 'b'] });
    items.next({ kind: 'position', id: 'e-0' });
    items.next({ kind: 'notification', notification: note(1, 'a') });
    items.next({ kind: 'notification', notification: note(2, 'x') });
    frame('unsubscribe', { channels: ['a'] });
    items.next({ kind: 'notification', notification: note(3, 'a') });
    items.next({ kind: 'notification', notification: note(4, 'b') });
    const ids = peer.sent
      .filter((f) => f.event === 'notification')
      .map((f) => (f.data as { id: string }).id);
    expect(ids).toEqual(['e-1', 'e-4']);
  });

  it('reopens the stream from a given cursor and acknowledges it at once', () => {
    const { peer, opened, frame } = make();
    frame('subscribe', { channels: ['a'], lastEventId: 'abc-z' });
    expect(opened).toEqual([{ after: { epoch: 'abc', seq: 35 }, channels: null }]);
    expect(peer.sent).toEqual([{ event: 'subscribed', data: { channels: ['a'], id: 'abc-z' } }]);
  });

  it('still acknowledges a pending subscribe when a later one restarts from a cursor', () => {
    const { peer, opened, frame } = make();
    frame('subscribe', { channels: ['a'] });
    frame('subscribe', { channels: ['b'], lastEventId: 'abc-1' });
    expect(opened).toHaveLength(2);
    expect(peer.sent.map((f) => f.event)).toEqual(['subscribed', 'subscribed']);
    expect(peer.sent[1].data).toEqual({ channels: ['a', 'b'], id: 'abc-1' });
  });

  it('closes a client whose send buffer passes the bound, and says so once', () => {
    const { peer, items, causes, frame } = make({ maxBufferedBytes: 16 * 1024 });
    frame('subscribe', { channels: ['a'] });
    items.next({ kind: 'position', id: 'e-0' });
    peer.writableLength = 20 * 1024;
    items.next({ kind: 'notification', notification: note(1, 'a') });
    items.next({ kind: 'notification', notification: note(2, 'a') });
    expect(peer.closedWith).toEqual({ code: 1013, reason: 'too slow; reconnect and resume' });
    expect(causes).toEqual(['slow_consumer']);
    expect(peer.sent.filter((f) => f.event === 'notification')).toHaveLength(1);
  });

  it('closes with 4401 when the token has already expired', () => {
    const clock = new ManualClock();
    const { peer, causes } = make({ expiresAt: clock.now() - 1 });
    expect(peer.closedWith?.code).toBe(4401);
    expect(causes).toEqual(['token_expired']);
  });

  it('holds no expiry timer while the token is far off, and closes with 4401 on time once it is near', () => {
    jest.useFakeTimers();
    try {
      const hour = 3_600_000;
      const { peer, causes, session, clock } = make({ expiresAt: new ManualClock().now() + hour });
      expect(jest.getTimerCount()).toBe(0);
      // Heartbeats come every 60 s; the one that finds expiry within two of them arms the timer.
      clock.advance(hour - 150_000);
      session.heartbeat();
      expect(jest.getTimerCount()).toBe(1); // the pong timeout only
      clock.advance(60_000);
      session.onPong();
      session.heartbeat();
      session.onPong();
      expect(jest.getTimerCount()).toBe(1); // the expiry
      expect(peer.closedWith).toBeUndefined();
      clock.advance(89_999);
      jest.advanceTimersByTime(89_999);
      expect(peer.closedWith).toBeUndefined();
      clock.advance(1);
      jest.advanceTimersByTime(1);
      expect(peer.closedWith?.code).toBe(4401);
      expect(causes).toEqual(['token_expired']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('closes with 1011 when the stream fails and 1012 when it ends', () => {
    const failing = make();
    failing.frame('subscribe', { channels: ['a'] });
    failing.items.error(new Error('redis down'));
    expect(failing.peer.sent.at(-1)).toMatchObject({
      event: 'error',
      data: { code: 'internal_error' },
    });
    expect(failing.peer.closedWith?.code).toBe(1011);
    const ending = make();
    ending.frame('subscribe', { channels: ['a'] });
    ending.items.complete();
    expect(ending.peer.closedWith?.code).toBe(1012);
  });

  it('refuses more than 32 channels per socket in total', () => {
    const { peer, opened, frame } = make();
    frame('subscribe', { channels: Array.from({ length: 30 }, (_, i) => `c${i}`) });
    frame('subscribe', { channels: ['x', 'y', 'z'] });
    expect(opened).toHaveLength(1);
    expect(peer.sent).toEqual([
      { event: 'error', data: { code: 'bad_request', message: 'at most 32 channels per socket' } },
    ]);
  });
});
