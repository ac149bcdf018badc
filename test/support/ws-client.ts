import WebSocket, { type ClientOptions } from 'ws';
import type { IncomingMessage } from 'node:http';

export interface Frame {
  event: string;
  data: unknown;
}

export interface WsClient {
  readonly ws: WebSocket;
  /** Every JSON frame received so far, in order. */
  readonly frames: Frame[];
  send(event: string, data?: unknown): void;
  /** Resolves with the next frame (after those already consumed) matching `event`. */
  next(event?: string, timeoutMs?: number): Promise<Frame>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** Opens a socket and resolves once the handshake succeeded; rejects with the refusal otherwise. */
export function connectWs(url: string, options: ClientOptions = {}): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const frames: Frame[] = [];
    const waiters = new Set<() => void>();
    let consumed = 0;
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code, reason) => {
        r({ code, reason: reason.toString() });
        waiters.forEach((w) => w());
      }),
    );
    ws.on('message', (data, isBinary) => {
      frames.push(isBinary ? { event: '(binary)', data } : (JSON.parse(data.toString()) as Frame));
      waiters.forEach((w) => w());
    });
    ws.on('unexpected-response', (_req, res) => reject(new RefusedUpgrade(res)));
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        frames,
        closed,
        send: (event, data) =>
          ws.send(JSON.stringify(data === undefined ? { event } : { event, data })),
        next: (event, timeoutMs = 4000) =>
          new Promise<Frame>((res, rej) => {
            const check = () => {
              while (consumed < frames.length) {
                const f = frames[consumed++];
                if (event === undefined || f.event === event) {
                  clearTimeout(timer);
                  waiters.delete(check);
                  return res(f);
                }
              }
              if (ws.readyState === WebSocket.CLOSED) {
                clearTimeout(timer);
                waiters.delete(check);
                rej(new Error(`socket closed while waiting for ${event ?? 'a frame'}`));
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rej(
                new Error(
                  `timed out after ${timeoutMs} ms waiting for ${event ?? 'a frame'}; got ${JSON.stringify(frames)}`,
                ),
              );
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        close: () => {
          ws.close();
          return closed.then(() => undefined);
        },
      }),
    );
  });
}

/** A handshake the server answered with an HTTP status instead of 101. */
export class RefusedUpgrade extends Error {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Promise<unknown>;

  constructor(res: IncomingMessage) {
    super(`upgrade refused with ${res.statusCode}`);
    this.status = res.statusCode ?? 0;
    this.headers = res.headers;
    this.body = new Promise((resolve) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch {
          resolve(text);
        }
      });
    });
  }
}

export async function refusal(p: Promise<unknown>): Promise<RefusedUpgrade> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RefusedUpgrade) return err;
    throw err;
  }
  throw new Error('the upgrade was accepted');
}
