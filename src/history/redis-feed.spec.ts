import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { decodeMember } from '../redis/redis-notification.encoding.js';
import type { StoredNotification } from '../notifications/notification.js';
import { RedisFeed, type CatchUp } from './redis-feed.js';

/** The subscriber connection's side the feed uses: events, status and (un)subscribe. */
class FakeSubscriber extends EventEmitter {
  status = 'ready';
  subscribe = async (..._channels: string[]) => 0;
  unsubscribe = async (..._channels: string[]) => 0;
}

const member = (seq: number) => `${seq}|0|0|chat|t|{}`;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('RedisFeed', () => {
  const setup = (history: Record<string, number[]>, epochNow: () => string) => {
    const sub = new FakeSubscriber();
    const asked: number[] = [];
    const catchUp: CatchUp = async (users, afterSeq) => {
      asked.push(afterSeq);
      const epoch = epochNow();
      return {
        epoch,
        notifications: (history[epoch] ?? [])
          .filter((seq) => seq > afterSeq)
          .map((seq) => decodeMember(epoch, member(seq), users[0])),
      };
    };
    const feed = new RedisFeed(sub as unknown as Redis, 'p:', catchUp, (err) => {
      throw err;
    });
    const got: string[] = [];
    feed.notifications$.subscribe((n: StoredNotification) => got.push(n.id));
    return { sub, feed, got, asked };
  };

  it('after a reconnect, delivers what it missed in order, each once', async () => {
    const { sub, feed, got, asked } = setup({ e1: [1, 2, 3, 4, 5] }, () => 'e1');
    await feed.start();
    await feed.watch('u');
    sub.emit('message', 'p:c:u:u', `e1|${member(1)}`);
    sub.emit('close');
    sub.emit('message', 'p:c:u:u', `e1|${member(5)}`); // arrives while catching up: held
    sub.emit('ready');
    await settle();
    expect(asked).toEqual([1]);
    expect(got).toEqual(['e1-1', 'e1-2', 'e1-3', 'e1-4', 'e1-5']);
  });

  it('after Redis came back empty, delivers the new sequence from its start', async () => {
    let epoch = 'e1';
    const { sub, feed, got, asked } = setup({ e1: [1, 2, 3], e2: [1, 2, 3, 4] }, () => epoch);
    await feed.start();
    await feed.watch('u');
    for (const seq of [1, 2, 3]) sub.emit('message', 'p:c:u:u', `e1|${member(seq)}`);
    sub.emit('close');
    // Redis restarts empty and numbers from 1 again; e2-1..e2-3 are published before this
    // subscription is back, e2-4 after.
    epoch = 'e2';
    sub.emit('ready');
    sub.emit('message', 'p:c:u:u', `e2|${member(4)}`);
    await settle();
    expect(asked).toEqual([3, 0]);
    expect(got).toEqual(['e1-1', 'e1-2', 'e1-3', 'e2-1', 'e2-2', 'e2-3', 'e2-4']);
  });
});
