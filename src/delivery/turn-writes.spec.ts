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

describe('TurnWrites', () => {
  it('corks a socket once per turn however often it is written, and uncorks it at the flush', () => {
    const scheduled: (() => void)[] = [];
    const writes = new TurnWrites((f) => scheduled.push(f));
    const a = new FakeSocket();
    const b = new FakeSocket();
    writes.hold(a);
    writes.hold(a);
    writes.hold(b);
    expect([a.corked, b.corked, scheduled.length]).toEqual([1, 1, 1]);
    scheduled[0]();
    expect([a.corked, a.flushes, b.corked, b.flushes]).toEqual([0, 1, 0, 1]);
    // The next turn corks again and schedules a new flush.
    writes.hold(a);
    expect([a.corked, scheduled.length]).toEqual([1, 2]);
    scheduled[1]();
    expect(a.flushes).toBe(2);
  });

  it('sends what several writes of one turn gave a real socket in one piece', async () => {
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
      // Nothing leaves before the turn ends.
      expect(sent).toEqual([]);
      const [data] = (await received) as [Buffer];
      expect(data.toString()).toBe('abc');
      expect(sent).toEqual([3]);
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });
});
