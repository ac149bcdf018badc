import { describe, expect, it } from '@jest/globals';
import { StoredNotification } from '../notifications/notification.js';
import { PackedStream } from './packed-stream.js';

const sole = Object.freeze(['u1']);
const same = (name: string) => name;

const notification = (seq: number, payloadJson: string, channel = 'chat', type = 'message') =>
  new StoredNotification(
    seq,
    'ep',
    sole,
    channel,
    type,
    payloadJson,
    1000 + seq,
    seq % 3 ? 0 : 9e12,
  );

/** Deterministic pseudo-random numbers (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const payloads = [
  '{}',
  'null',
  '{"text":"h\u00e9llo \u2603 \ud83d\ude00"}',
  JSON.stringify({ long: 'x'.repeat(3000) }),
  JSON.stringify({ wide: '\u00e9\u4e2d'.repeat(700) }),
];

describe('PackedStream', () => {
  it('reads back what it holds, in order, through growth, wrap-around, repacks and drops', () => {
    const next = random(42);
    const stream = new PackedStream(0, sole);
    const model: StoredNotification[] = [];
    let seq = 0;
    for (let step = 0; step < 5000; step++) {
      // Alternately growing and shrinking phases, so the ring and the bytes grow and shrink.
      const growing = Math.floor(step / 700) % 2 === 0;
      if (next() < (growing ? 0.85 : 0.3) || model.length === 0) {
        const n = notification(
          ++seq,
          payloads[Math.floor(next() * payloads.length)],
          `ch${seq % 4}`,
          `type.${seq % 5}`,
        );
        const keep = next() < 0.1;
        stream.push(n, keep);
        model.push(n);
      } else {
        const k = 1 + Math.floor(next() * Math.min(model.length, 4));
        stream.dropOldest(k);
        model.splice(0, k);
      }
      expect(stream.length).toBe(model.length);
      if (step % 50 !== 0) continue;
      model.forEach((n, i) => {
        const back = stream.at(i, 'ep', same);
        expect([back.seq, back.channel, back.type, back.payloadJson]).toEqual([
          n.seq,
          n.channel,
          n.type,
          n.payloadJson,
        ]);
        expect([back.createdAt, back.expiresAt]).toEqual([n.createdAt, n.expiresAt]);
        expect(stream.channelAt(i)).toBe(n.channel);
        expect(back.json).toBe(n.json);
      });
    }
  });

  it('gives back the kept object itself, and builds a packed one anew', () => {
    const stream = new PackedStream(0, sole);
    const kept = notification(1, '{"a":1}');
    const packed = notification(2, '{"b":2}');
    stream.push(kept, true);
    stream.push(packed, false);
    expect(stream.at(0, 'ep', same)).toBe(kept);
    expect(stream.at(1, 'ep', same)).not.toBe(packed);
    expect(stream.at(1, 'ep', same).userIds).toBe(sole);
  });

  it('finds the first record after a seq by bisection', () => {
    const stream = new PackedStream(0, sole);
    for (const seq of [3, 5, 9, 10, 20]) stream.push(notification(seq, '{}'), false);
    stream.dropOldest(1);
    expect([0, 4, 5, 6, 9, 10, 19, 20, 99].map((s) => stream.firstAfter(s))).toEqual([
      0, 0, 1, 1, 2, 3, 3, 4, 4,
    ]);
  });

  it('interns the names it reads back', () => {
    const stream = new PackedStream(0, null);
    stream.push(notification(1, '{}', 'alerts', 'x.y'), false);
    const seen: string[] = [];
    const back = stream.at(0, 'ep', (name) => (seen.push(name), name.toUpperCase()));
    expect(seen).toEqual(['alerts', 'x.y']);
    expect([back.channel, back.type, back.userIds]).toEqual(['ALERTS', 'X.Y', null]);
  });

  it('starts again empty once everything is dropped', () => {
    const stream = new PackedStream(7, sole);
    for (let seq = 1; seq <= 100; seq++) stream.push(notification(seq, payloads[3]), seq % 2 === 0);
    stream.dropOldest(100);
    expect(stream.length).toBe(0);
    expect(stream.floor).toBe(7);
    stream.push(notification(101, '{"again":true}'), false);
    expect(stream.at(0, 'ep', same).payloadJson).toBe('{"again":true}');
    expect(stream.firstAfter(100)).toBe(0);
  });
});
