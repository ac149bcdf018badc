import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Observable, Subject } from 'rxjs';
import type { StreamItem } from '../../hub/notification-streams.js';
import { StoredNotification } from '../../notifications/notification.js';
import { HeartbeatWheel } from '../heartbeat-wheel.js';
import { TurnWrites } from '../turn-writes.js';
import { SseStream, type SseWriterOptions } from './sse.writer.js';

class FakeResponse extends EventEmitter {
  closed = false;
  destroyed = false;
  writableEnded = false;
  writableLength = 0;
  readonly written: string[] = [];
  write(chunk: string): boolean {
    this.written.push(chunk);
    return true;
  }
  end(chunk: string): void {
    this.written.push(chunk);
    this.writableEnded = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const setup = () => {
  const heartbeats = new HeartbeatWheel<SseStream>(60_000, (s) => s.heartbeat());
  const counts = { delivered: 0, heartbeats: 0, slow: 0 };
  const options: SseWriterOptions = {
    retryMs: 3000,
    heartbeatMs: 60_000,
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
  it('writes retry with the first frame, frames as they come, heartbeats as comments', () => {
    const { heartbeats, counts, options } = setup();
    const res = new FakeResponse();
    const items = new Subject<StreamItem>();
    const stream = new SseStream(asResponse(res), items, options);
    const n = new StoredNotification(7, 'ep-7', ['u'], 'chat', 't', '{}', 0, 0);
    items.next({ kind: 'position', id: 'ep-6' });
    items.next({ kind: 'notification', notification: n });
    stream.heartbeat();
    expect(res.written).toEqual(['retry: 3000\nid: ep-6\n\n', n.sseFrame, ': heartbeat\n\n']);
    expect(counts).toEqual({ delivered: 1, heartbeats: 1, slow: 0 });
    expect(heartbeats.size).toBe(1);
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

  it('drops a client whose unsent backlog passes the bound', () => {
    const { counts, options } = setup();
    const res = new FakeResponse();
    const items = new Subject<StreamItem>();
    new SseStream(asResponse(res), items, options);
    res.writableLength = 2048;
    items.next({ kind: 'position', id: 'ep-1' });
    expect([res.destroyed, counts.slow]).toEqual([true, 1]);
  });
});
