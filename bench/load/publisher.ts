import { Agent, request } from 'node:http';
import { nowMs } from '../histogram.js';

/** HTTP batch publisher (`POST /v1/notifications`); every item carries its send time in `t`. */
export class HttpPublisher {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  failures = 0;

  constructor(
    private readonly port: number,
    private readonly token: string,
  ) {}

  /** Resolves with how many notifications were accepted (0 unless the answer is 202). */
  post(items: string[]): Promise<number> {
    const body = `[${items.join(',')}]`;
    return new Promise((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: '/v1/notifications',
          method: 'POST',
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 202) resolve(items.length);
            else {
              this.failures++;
              resolve(0);
            }
          });
        },
      );
      req.on('error', () => {
        this.failures++;
        resolve(0);
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

const TEXT = 'the quick brown fox jumps over the lazy dog';

export function unicastItems(users: readonly string[], from: number, size: number): string[] {
  const t = nowMs();
  const items = new Array<string>(size);
  for (let k = 0; k < size; k++) {
    items[k] =
      `{"userId":"${users[(from + k) % users.length]}","channel":"bench","type":"bench.tick",` +
      `"payload":{"t":${t},"text":"${TEXT}"}}`;
  }
  return items;
}

export function broadcastItems(): string[] {
  return [
    `{"broadcast":true,"channel":"bench","type":"bench.tick","payload":{"t":${nowMs()},"text":"${TEXT}"}}`,
  ];
}

export interface PublishRun {
  accepted: number;
  startedAt: number;
  endedAt: number;
}

/**
 * As fast as accepted: `lanes` batches in flight for `durationMs`; `send` publishes the batch of
 * users starting at `from` and resolves with how many were accepted.
 */
export async function closedLoop(
  send: (from: number) => Promise<number>,
  batch: number,
  lanes: number,
  durationMs: number,
): Promise<PublishRun> {
  const startedAt = nowMs();
  const end = startedAt + durationMs;
  let accepted = 0;
  let cursor = 0;
  const lane = async () => {
    while (nowMs() < end) {
      const from = cursor;
      cursor += batch;
      // Not `accepted += await …`: that reads `accepted` before the await and loses other lanes' adds.
      const n = await send(from);
      accepted += n;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return { accepted, startedAt, endedAt: nowMs() };
}

/** Closed loop over the HTTP batch API. */
export const publishClosedLoop = (
  pub: HttpPublisher,
  users: readonly string[],
  batch: number,
  lanes: number,
  durationMs: number,
): Promise<PublishRun> =>
  closedLoop((from) => pub.post(unicastItems(users, from, batch)), batch, lanes, durationMs);

/**
 * Open loop at a fixed rate: `send(tick)` every `batch / ratePerSecond` seconds, on an absolute
 * timeline (a slow answer never delays the next batch).
 */
export async function paced(
  send: (tick: number) => Promise<number>,
  ratePerSecond: number,
  batch: number,
  durationMs: number,
): Promise<PublishRun> {
  const interval = (batch / ratePerSecond) * 1000;
  const ticks = Math.max(1, Math.round(durationMs / interval));
  const startedAt = nowMs();
  const inflight: Promise<number>[] = [];
  for (let k = 0; k < ticks; k++) {
    const wait = startedAt + k * interval - nowMs();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(send(k));
  }
  const accepted = (await Promise.all(inflight)).reduce((x, y) => x + y, 0);
  return { accepted, startedAt, endedAt: nowMs() };
}

/** Paced over the HTTP batch API. */
export const publishPaced = (
  pub: HttpPublisher,
  makeBatch: (tick: number) => string[],
  ratePerSecond: number,
  batch: number,
  durationMs: number,
): Promise<PublishRun> => paced((k) => pub.post(makeBatch(k)), ratePerSecond, batch, durationMs);
