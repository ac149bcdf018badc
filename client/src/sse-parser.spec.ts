import { describe, expect, it } from '@jest/globals';
import { SseParser, type SseItem } from './sse-parser.js';

const parseAll = (chunks: string[]): SseItem[] => {
  const p = new SseParser();
  return chunks.flatMap((c) => p.push(c));
};

describe('SseParser', () => {
  const stream =
    'retry: 3000\nid: e1-0\n\n: heartbeat\n\nevent: notification\nid: e1-1\ndata: {"a":1}\n\n' +
    'event: reset\r\nid: e1-9\r\ndata: {"id":"e1-9"}\r\n\r\n';
  const expected: SseItem[] = [
    { kind: 'id', id: 'e1-0' },
    { kind: 'comment', text: 'heartbeat' },
    { kind: 'event', event: 'notification', id: 'e1-1', data: '{"a":1}' },
    { kind: 'event', event: 'reset', id: 'e1-9', data: '{"id":"e1-9"}' },
  ];

  it('reads id-only frames, comments and events', () => {
    expect(parseAll([stream])).toEqual(expected);
  });

  it('gives the same items however the chunks split the stream, CRLF included', () => {
    for (let size = 1; size < 12; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
      expect(parseAll(chunks)).toEqual(expected);
    }
  });

  it('joins multi-line data, treats lone CR as a line end and defaults the event name', () => {
    expect(parseAll(['data: a\rdata:b\r\r'])).toEqual([
      { kind: 'event', event: 'message', data: 'a\nb' },
    ]);
  });

  it('holds an incomplete frame until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('event: notification\ndata: {"x"')).toEqual([]);
    expect(p.push(':1}\n\n')).toEqual([{ kind: 'event', event: 'notification', data: '{"x":1}' }]);
  });
});
