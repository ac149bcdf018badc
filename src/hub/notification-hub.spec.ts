import { describe, expect, it, jest } from '@jest/globals';
import { MemoryFeed } from '../history/memory-feed.js';
import { StoredNotification } from '../notifications/notification.js';
import { NotificationHub, type HubListener } from './notification-hub.js';

const note = (seq: number, userIds: string[] | null) =>
  new StoredNotification(seq, 'e', userIds, 'chat', 't', '{}', 0, 0);

const listener = (deliver: (n: StoredNotification) => void = () => {}): HubListener => ({
  deliver,
  hubClosed: () => {},
});

describe('NotificationHub', () => {
  it('routes a notification only to its recipients', async () => {
    const feed = new MemoryFeed();
    const hub = new NotificationHub(feed);
    const a: number[] = [];
    const b: number[] = [];
    await hub.attach(
      'a',
      listener((n) => a.push(n.seq)),
    );
    await hub.attach(
      'b',
      listener((n) => b.push(n.seq)),
    );
    feed.publish(note(1, ['a']));
    feed.publish(note(2, ['b']));
    feed.publish(note(3, ['a', 'b']));
    feed.publish(note(4, null));
    expect(a).toEqual([1, 3, 4]);
    expect(b).toEqual([2, 3, 4]);
  });

  it('looks up only the recipients, however many users are connected', async () => {
    const feed = new MemoryFeed();
    const hub = new NotificationHub(feed);
    const others = Array.from({ length: 1000 }, () => jest.fn());
    await Promise.all(others.map((fn, i) => hub.attach(`other-${i}`, listener(fn))));
    const mine = jest.fn();
    await hub.attach('me', listener(mine));
    const get = jest.spyOn(Map.prototype, 'get');
    feed.publish(note(1, ['me']));
    const lookups = get.mock.calls.length;
    get.mockRestore();
    expect(mine).toHaveBeenCalledTimes(1);
    expect(others.every((fn) => fn.mock.calls.length === 0)).toBe(true);
    expect(lookups).toBe(1);
  });

  it('counts listeners and forgets a user when the last one leaves (detach is idempotent)', async () => {
    const feed = new MemoryFeed();
    const unwatch = jest.spyOn(feed, 'unwatch');
    const hub = new NotificationHub(feed);
    const [l1, l2] = [listener(), listener()];
    await hub.attach('a', l1);
    await hub.attach('a', l2);
    expect([hub.connectedUsers, hub.listenerCount]).toEqual([1, 2]);
    hub.detach('a', l1);
    hub.detach('a', l1);
    expect([hub.connectedUsers, hub.listenerCount]).toEqual([1, 1]);
    hub.detach('a', l2);
    expect([hub.connectedUsers, hub.listenerCount]).toEqual([0, 0]);
    expect(unwatch).toHaveBeenCalledTimes(1);
  });

  it('delivers to every listener of a user as they come and go, each once', async () => {
    const feed = new MemoryFeed();
    const hub = new NotificationHub(feed);
    const got: string[] = [];
    const [l1, l2, l3] = ['1', '2', '3'].map((name) => listener(() => got.push(name)));
    const publish = (seq: number) => {
      got.length = 0;
      feed.publish(note(seq, ['a']));
      return [...got].sort();
    };
    await hub.attach('a', l1);
    await hub.attach('a', l1);
    expect(publish(1)).toEqual(['1']);
    await hub.attach('a', l2);
    await hub.attach('a', l3);
    expect(publish(2)).toEqual(['1', '2', '3']);
    hub.detach('a', l1);
    hub.detach('a', l3);
    expect(publish(3)).toEqual(['2']);
    expect(hub.listenerCount).toBe(1);
    await hub.attach('a', l1);
    hub.detach('a', l2);
    expect(publish(4)).toEqual(['1']);
    hub.detach('a', l2);
    expect([hub.connectedUsers, hub.listenerCount]).toEqual([1, 1]);
    hub.detach('a', l1);
    expect(publish(5)).toEqual([]);
    expect([hub.connectedUsers, hub.listenerCount]).toEqual([0, 0]);
  });

  it('keeps delivering to others when one listener throws', async () => {
    const feed = new MemoryFeed();
    const hub = new NotificationHub(feed);
    const good = jest.fn();
    await hub.attach(
      'a',
      listener(() => {
        throw new Error('broken socket');
      }),
    );
    await hub.attach('a', listener(good));
    feed.publish(note(1, ['a']));
    expect(good).toHaveBeenCalledTimes(1);
  });

  it('tells every listener when it closes, and routes nothing after', async () => {
    const feed = new MemoryFeed();
    const hub = new NotificationHub(feed);
    const closed: string[] = [];
    const got = jest.fn();
    for (const user of ['a', 'a', 'b']) {
      await hub.attach(user, { deliver: got, hubClosed: () => closed.push(user) });
    }
    hub.close();
    feed.publish(note(1, ['a', 'b']));
    expect(closed).toEqual(['a', 'a', 'b']);
    expect(got).not.toHaveBeenCalled();
  });

  it('serialises a notification once, whatever the number of readers', () => {
    const n = note(1, ['a']);
    const toIso = jest.spyOn(Date.prototype, 'toISOString');
    const encodings = () => [n.json, n.sseChunk, n.wsFrame] as const;
    const first = encodings();
    expect(JSON.parse(first[0])).toMatchObject({ id: 'e-1', channel: 'chat', type: 't' });
    for (let i = 0; i < 100; i++) {
      const again = encodings();
      for (let k = 0; k < first.length; k++) expect(again[k]).toBe(first[k]);
    }
    expect(toIso.mock.calls.length).toBeLessThanOrEqual(1);
    toIso.mockRestore();
  });
});
