import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Observable, Subject } from 'rxjs';
import type { StreamItem } from '../../hub/notification-streams.js';
import { StoredNotification } from '../../notifications/notification.js';
import { HeartbeatWheel } from '../heartbeat-wheel.js';
import { TurnWrites } from '../turn-writes.js';
import { SseStream, sseHeaders, type SseWriterOptions } from './sse.writer.js';

/** The stream writes its body straight to the socket; the response only ends or destroys. */
class FakeSocket {
  destroyed = false;
  writableEnded = false;
  writableLength = 0;
  corked = 0;
  readonly written: string[] = [];
  write(chunk: string): boolean {
    this.written.push(chunk);
    return true;
  }
  cork(): void {
    this.corked++;
  }
  uncork(): void {
    this.corked--;
  }
  destroySoon(): void {
    this.writableEnded = true;
  }
}

class FakeResponse extends EventEmitter {
  closed = false;
  destroyed = false;
  writableEnded = false;
  readonly socket = new FakeSocket();
  get written(): string[] {
    return this.socket.written;
  }
  end(chunk: string): void {
    this.written.push(`end:${chunk}`);
    this.writableEnded = true;
  }
  destroy(): void {
    this.destroyed = this.socket.destroyed = true;
  }
}

const setup = () => {
  const heartbeats = new HeartbeatWheel<SseStream>(60_000, (s) => s.heartbeat());
  const counts = { delivered: 0, heartbeats: 0, slow: 0 };
  const options: SseWriterOptions = {
    retryMs: 3000,
    headers: sseHeaders(60_000),
    heartbeats,
    writes: new TurnWrites(),
    maxBufferedBytes: 1024,
    onDelivered: () => counts.delivered++,
    onHeartbeat: () => counts.heartbeats++,
    onSlowClient: () => counts.slow++,
    onError: () => {},
  };
  return { heartbeats, counts, options };
};

const asResponse = (r: FakeResponse) => r as unknown as ServerResponse;

describe('SseStream', () => {
  const note = (seq: number) => new StoredNotification(seq, 'ep', ['u'], 'chat', 't', '{}', 0, 0);
  const event = (id: string) =>
    `event: notification\nid: ${id}\ndata: {"id":"${id}","channel":"chat","type":"t","payload":{},"createdAt":"1970-01-01T00:00:00.000Z"}\n\n`;
  const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

  it('writes chunks: retry with the first event, events as they come, heartbeats as comments', () => {
    const { heartbeats, counts, options } = setup();
    const res = new FakeResponse();
    const items = new Subject<StreamItem>();
    const stream = new SseStream(asResponse(res), items, options);
    items.next({ kind: 'position', id: 'ep-6' });
    items.next({ kind: 'notification', notification: note(7) });
    stream.heartbeat();
    stream.end('retry: 5\n\n');
    expect(res.written).toEqual([
      chunk('retry: 3000\nid: ep-6\n\n'),
      chunk(event('ep-7')),
      chunk(': heartbeat\n\n'),
      'end:retry: 5\n\n',
    ]);
    expect(counts).toEqual({ delivered: 1, heartbeats: 1, slow: 0 });
    expect(heartbeats.size).toBe(1);
    // Everything written was held until the code that wrote it is done.
    expect(res.socket.corked).toBe(1);
    options.writes.flush();
    expect(res.socket.corked).toBe(0);
  });

  it('writes unframed events to an HTTP/1.0 client, which gets no chunked encoding', () => {
    const { options } = setup();
    const res = new FakeResponse();
    const items = new Subject<StreamItem>();
    const stream = new SseStream(asResponse(res), items, options, false);
    items.next({ kind: 'notification', notification: note(3) });
    items.next({ kind: 'notification', notification: note(4) });
    stream.heartbeat();
    expect(res.written).toEqual([
      `retry: 3000\n${event('ep-3')}`,
      event('ep-4'),
      ': heartbeat\n\n',
    ]);
  });

  it('lets go of its subscription and heartbeat when the response closes', () => {
    const { heartbeats, options } = setup();
    const res = new FakeResponse();
    let unsubscribed = 0;
    const items = new Observable<StreamItem>(() => () => unsubscribed++);
    new SseStream(asResponse(res), items, options);
    res.emit('close');
    expect([heartbeats.size, unsubscribed]).toEqual([0, 1]);
  });

  it('is released at once when the client left before the stream started', () => {
    const { heartbeats, options } = setup();
    const res = new FakeResponse();
    res.closed = true;
    let unsubscribed = 0;
    const items = new Observable<StreamItem>(() => () => unsubscribed++);
    new SseStream(asResponse(res), items, options);
    expect([heartbeats.size, unsubscribed]).toEqual([0, 1]);
  });

  it('writes nothing after it ended, though its heartbeat comes before the close', () => {
    const { options } = setup();
    const res = new FakeResponse();
    const stream = new SseStream(asResponse(res), new Subject<StreamItem>(), options);
    stream.end('retry: 500\n\n');
    stream.heartbeat();
    expect(res.written).toEqual(['end:retry: 500\n\n']);
  });

  it('drops a client whose unsent backlog passes the bound', () => {
    const { counts, options } = setup();
    const res = new FakeResponse();
    const items = new Subject<StreamItem>();
    new SseStream(asResponse(res), items, options);
    res.socket.writableLength = 2048;
    items.next({ kind: 'position', id: 'ep-1' });
    expect([res.destroyed, counts.slow]).toEqual([true, 1]);
  });
});
