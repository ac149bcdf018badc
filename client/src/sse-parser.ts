export type SseItem =
  | { readonly kind: 'event'; readonly event: string; readonly data: string; readonly id?: string }
  /** An `id:` field without data: a cursor position (EventSource records it, dispatches nothing). */
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'comment'; readonly text: string };

/**
 * An incremental text/event-stream parser (WHATWG HTML §9.2.6): fields, comments, and CR, LF or
 * CRLF line ends, however the chunks split them. Unlike EventSource it reports comments, which are
 * the server's heartbeats.
 */
export class SseParser {
  private buffer = '';
  private pendingCr = false;
  private data: string[] = [];
  private event = '';
  private id: string | undefined;

  push(chunk: string): SseItem[] {
    const items: SseItem[] = [];
    let text = chunk;
    // A CR that ended the previous chunk may be the first half of a CRLF.
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buffer.slice(start, i), items);
      if (c === '\r') {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return items;
  }

  private line(line: string, items: SseItem[]): void {
    if (line === '') {
      if (this.data.length) {
        items.push({
          kind: 'event',
          event: this.event || 'message',
          data: this.data.join('\n'),
          ...(this.id === undefined ? {} : { id: this.id }),
        });
      } else if (this.id !== undefined) {
        items.push({ kind: 'id', id: this.id });
      }
      this.data = [];
      this.event = '';
      this.id = undefined;
      return;
    }
    if (line.startsWith(':')) {
      items.push({ kind: 'comment', text: line.slice(1).trimStart() });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}
