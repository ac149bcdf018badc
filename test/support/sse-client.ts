import http, { type IncomingHttpHeaders } from 'node:http';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
  retry?: number;
}

export interface SseConnection {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Body of a non-200 answer (parsed JSON when it is JSON). */
  readonly body?: unknown;
  /** Every dispatched event so far, in order. */
  readonly events: SseEvent[];
  /** Comment lines seen (heartbeats). */
  readonly comments: string[];
  /** The id field last seen, as EventSource keeps it for Last-Event-ID. */
  readonly lastEventId: string | undefined;
  readonly retry: number | undefined;
  /** Resolves with the n-th event (1-based count of events), or rejects after timeoutMs. */
  waitForEvents(n: number, timeoutMs?: number): Promise<SseEvent[]>;
  waitForComment(timeoutMs?: number): Promise<string>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/**
 * A raw SSE client on node:http with a spec-following parser (fields, comments, CR/LF/CRLF line
 * ends, id without data), so tests see exactly the bytes the server framed.
 */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } });
    req.on('error', reject);
    req.on('response', (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      const notify = () => waiters.forEach((w) => w());
      // As in EventSource: the id field fills a buffer; the cursor takes it only when the event is
      // dispatched (blank line), so a stream cut mid-frame never skips the event it was carrying.
      let idBuffer: string | undefined;
      let lastEventId: string | undefined;
      let retry: number | undefined;
      let buf = '';
      let data: string[] = [];
      let event = '';
      let idSeen = false;
      const ended = new Promise<void>((r) =>
        res.on('close', () => {
          notify();
          r();
        }),
      );

      const dispatchLine = (line: string) => {
        if (line === '') {
          lastEventId = idBuffer;
          if (data.length)
            events.push({
              id: idSeen ? idBuffer : undefined,
              event: event || 'message',
              data: data.join('\n'),
              retry,
            });
          data = [];
          event = '';
          idSeen = false;
          notify();
          return;
        }
        if (line.startsWith(':')) {
          comments.push(line.slice(1).trim());
          notify();
          return;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) {
          idBuffer = value;
          idSeen = true;
        } else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
      };

      const conn: SseConnection = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        get lastEventId() {
          return lastEventId;
        },
        get retry() {
          return retry;
        },
        waitForEvents: (n, timeoutMs = 5000) =>
          waitUntil(
            () => events.length >= n,
            () => events.slice(0, n),
            `${n} events (got ${events.length})`,
            timeoutMs,
          ),
        waitForComment: (timeoutMs = 5000) => {
          const seen = comments.length;
          return waitUntil(
            () => comments.length > seen,
            () => comments[seen],
            'a comment',
            timeoutMs,
          );
        },
        ended,
        close: () => {
          req.destroy();
        },
      };

      function waitUntil<T>(
        ok: () => boolean,
        value: () => T,
        what: string,
        timeoutMs: number,
      ): Promise<T> {
        return new Promise((res2, rej) => {
          if (ok()) return res2(value());
          const timer = setTimeout(() => {
            waiters.delete(check);
            rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
          }, timeoutMs);
          const check = () => {
            if (!ok()) return;
            clearTimeout(timer);
            waiters.delete(check);
            res2(value());
          };
          waiters.add(check);
        });
      }

      if (res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          let parsed: unknown = body;
          try {
            parsed = JSON.parse(body);
          } catch {
            /* not JSON */
          }
          resolve({ ...conn, body: parsed });
        });
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        const lines = buf.split(/\r\n|\r|\n/);
        buf = lines.pop()!;
        for (const line of lines) dispatchLine(line);
      });
      resolve(conn);
    });
  });
}
