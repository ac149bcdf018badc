import { describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import net from 'node:net';
import { TurnWrites, type Corkable } from './turn-writes.js';

class FakeSocket implements Corkable {
  corked = 0;
  flushes = 0;
  cork(): void {
    this.corked++;
  }
  uncork(): void {
    if (this.corked > 0 && --this.corked === 0) this.flushes++;
  }
}

/** A TurnWrites whose scheduling and loop idle time the test drives. */
function driven() {
  const turnEnd: (() => void)[] = [];
  const soon: (() => void)[] = [];
  const loop = { idle: 0 };
  const writes = new TurnWrites({
    atTurnEnd: (f) => turnEnd.push(f),
    soon: (f) => soon.push(f),
    idleTime: () => loop.idle,
    quietMs: 1,
  });
  return { writes, turnEnd, soon, loop };
}

describe('TurnWrites', () => {
  it('corks a socket once however often it is written, and uncorks it at the flush', () => {
    const { writes, turnEnd, soon } = driven();
    const a = new FakeSocket();
    const b = new FakeSocket();
    writes.hold(a);
    writes.hold(a);
    writes.hold(b);
    expect([a.corked, b.corked, soon.length, turnEnd.length]).toEqual([1, 1, 1, 0]);
    soon[0]();
    expect([a.corked, a.flushes, b.corked, b.flushes]).toEqual([0, 1, 0, 1]);
  });

  it('flushes once the writing code is done after a quiet spell, at the turn end while busy', () => {
    const { writes, turnEnd, soon, loop } = driven();
    const a = new FakeSocket();
    writes.hold(a);
    soon[0]();
    // The next batch came without the loop waiting (0.5 ms idle < quietMs): others may follow it.
    loop.idle += 0.5;
    writes.hold(a);
    writes.hold(new FakeSocket());
    expect([soon.length, turnEnd.length]).toEqual([1, 1]);
    turnEnd[0]();
    expect(a.flushes).toBe(2);
    // Busy is counted from the last flush: the idle time before it does not count again.
    loop.idle += 0.75;
    writes.hold(a);
    expect([soon.length, turnEnd.length]).toEqual([1, 2]);
    turnEnd[1]();
    loop.idle += 1.5;
    writes.hold(a);
    expect([soon.length, turnEnd.length]).toEqual([2, 2]);
    soon[1]();
    expect([a.corked, a.flushes]).toEqual([0, 4]);
  });

  it('does not count a flush with nothing held as one', () => {
    const { writes, soon, loop } = driven();
    writes.flush();
    loop.idle += 0.25;
    writes.hold(new FakeSocket());
    expect(soon.length).toBe(1);
  });

  it('sends a real socket the writes of one batch in one piece, after the code that wrote', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const accepted = once(server, 'connection');
    const client = net.connect(port, '127.0.0.1');
    const [peer] = (await accepted) as [net.Socket];
    try {
      const writes = new TurnWrites();
      const sent: number[] = [];
      // Writable's own extension points: one call is one syscall of the socket.
      const single = peer._write.bind(peer);
      const vector = peer._writev!.bind(peer);
      peer._write = (chunk, encoding, cb) => {
        sent.push(1);
        single(chunk, encoding, cb);
      };
      peer._writev = (chunks, cb) => {
        sent.push(chunks.length);
        vector(chunks, cb);
      };
      const received = once(client, 'data');
      for (const part of ['a', 'b', 'c']) {
        writes.hold(peer);
        peer.write(part);
      }
      expect(sent).toEqual([]);
      // A quiet loop: the batch leaves with the first microtask, not at the turn's end.
      await Promise.resolve();
      expect(sent).toEqual([3]);
      const [data] = (await received) as [Buffer];
      expect(data.toString()).toBe('abc');
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });
});
