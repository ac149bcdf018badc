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

/** Every position from the oldest record on. */
function positions(stream: PackedStream): number[] {
  const out: number[] = [];
  for (let p = stream.firstAfter(-1); stream.has(p); p = stream.next(p)) out.push(p);
  return out;
}

const payloads = [
  '{}',
  'null',
  '"a"',
  '{"text":"h\u00e9llo \u2603 \ud83d\ude00"}',
  JSON.stringify({ long: 'x'.repeat(3000) }),
  JSON.stringify({ wide: '\u00e9\u4e2d'.repeat(700) }),
];

describe('PackedStream', () => {
  it('reads back what it holds, in order, through growth, repacks and drops', () => {
    const next = random(42);
    const stream = new PackedStream(0, sole);
    const model: StoredNotification[] = [];
    let seq = 0;
    for (let step = 0; step < 5000; step++) {
      // Alternately growing and shrinking phases, so the buffer grows and shrinks.
      const growing = Math.floor(step / 700) % 2 === 0;
      if (next() < (growing ? 0.85 : 0.3) || model.length === 0) {
        const n = notification(
          ++seq,
          payloads[Math.floor(next() * payloads.length)],
          `ch${seq % 4}`.repeat(1 + (seq % 3)),
          `type.${seq % 5}`,
        );
        stream.push(n, next() < 0.1);
        model.push(n);
      } else {
        const k = 1 + Math.floor(next() * Math.min(model.length, 4));
        const dropped = model.splice(0, k);
        expect(stream.trim(model.length, -Infinity)).toBe(k);
        expect(stream.floor).toBe(dropped[k - 1].seq);
      }
      expect(stream.length).toBe(model.length);
      expect(stream.newest).toBe(model.length ? model[model.length - 1].seq : stream.floor);
      if (step % 50 !== 0) continue;
      const at = positions(stream);
      expect(at).toHaveLength(model.length);
      model.forEach((n, i) => {
        const back = stream.at(at[i], 'ep', same);
        expect([back.seq, back.channel, back.type, back.payloadJson]).toEqual([
          n.seq,
          n.channel,
          n.type,
          n.payloadJson,
        ]);
        expect([back.createdAt, back.expiresAt]).toEqual([n.createdAt, n.expiresAt]);
        expect([stream.seqAt(at[i]), stream.expiresAt(at[i])]).toEqual([n.seq, n.expiresAt]);
        expect(stream.channelAt(at[i])).toBe(n.channel);
        expect(back.json).toBe(n.json);
      });
    }
  });

  it('drops by age as well as by count', () => {
    const stream = new PackedStream(0, sole);
    for (let seq = 1; seq <= 10; seq++) stream.push(notification(seq, '{}'), seq === 4);
    // Created at 1000 + seq: everything before 1005 goes, then the count bound takes one more.
    expect(stream.trim(10, 1005)).toBe(4);
    expect(stream.floor).toBe(4);
    expect(stream.trim(5, 0)).toBe(1);
    expect(positions(stream).map((p) => stream.seqAt(p))).toEqual([6, 7, 8, 9, 10]);
  });

  it('gives back the kept object itself, and builds a packed one anew', () => {
    const stream = new PackedStream(0, sole);
    const kept = notification(1, '{"a":1}');
    const packed = notification(2, '{"b":2}');
    stream.push(kept, true);
    stream.push(packed, false);
    const [first, second] = positions(stream);
    expect(stream.at(first, 'ep', same)).toBe(kept);
    expect(stream.at(second, 'ep', same)).not.toBe(packed);
    expect(stream.at(second, 'ep', same).userIds).toBe(sole);
  });

  it('finds the first record after a seq', () => {
    const stream = new PackedStream(0, sole);
    for (const seq of [3, 5, 9, 10, 20]) stream.push(notification(seq, '{}'), false);
    stream.trim(4, 0);
    const seqAfter = (s: number) => {
      const p = stream.firstAfter(s);
      return stream.has(p) ? stream.seqAt(p) : 'end';
    };
    expect([0, 4, 5, 6, 9, 10, 19, 20, 99].map(seqAfter)).toEqual([
      5,
      5,
      9,
      9,
      10,
      20,
      20,
      'end',
      'end',
    ]);
  });

  it('interns the names it reads back', () => {
    const stream = new PackedStream(0, null);
    stream.push(notification(1, '{}', 'alerts', 'x.y'), false);
    const seen: string[] = [];
    const back = stream.at(
      stream.firstAfter(0),
      'ep',
      (name) => (seen.push(name), name.toUpperCase()),
    );
    expect(seen).toEqual(['alerts', 'x.y']);
    expect([back.channel, back.type, back.userIds]).toEqual(['ALERTS', 'X.Y', null]);
  });

  it('starts again empty once everything is dropped', () => {
    const stream = new PackedStream(7, sole);
    for (let seq = 1; seq <= 100; seq++) stream.push(notification(seq, payloads[4]), seq % 2 === 0);
    expect(stream.trim(0, 0)).toBe(100);
    expect([stream.length, stream.floor, stream.newest]).toEqual([0, 100, 100]);
    expect(stream.has(stream.firstAfter(0))).toBe(false);
    stream.push(notification(101, '{"again":true}'), false);
    expect(stream.at(stream.firstAfter(100), 'ep', same).payloadJson).toBe('{"again":true}');
  });
});
