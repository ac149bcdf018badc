import { request, type ClientRequest } from 'node:http';
import WebSocket from 'ws';
import { signToken } from '../../src/auth/token-verifier.js';
import { Histogram, nowMs } from '../histogram.js';
import type { Command, Endpoint, Reply } from './protocol.js';

/**
 * One load-generator process: holds thousands of SSE or WebSocket clients, counts the
 * notifications they receive and records publish→client latency from the send time each carries.
 * Parsing is kept to what counting and timing need, so the generator stays cheaper than the server.
 */
interface Conn {
  close(): void;
  reached: boolean;
}

let hist = new Histogram();
let delivered = 0;
let reached = 0;
let firstAt = 0;
let lastAt = 0;
let dropped = 0;
const conns = new Set<Conn>();

function send(reply: Reply): void {
  process.send!(reply);
}

function onNotification(conn: Conn, text: string): void {
  const now = nowMs();
  delivered++;
  if (!conn.reached) {
    conn.reached = true;
    reached++;
  }
  if (firstAt === 0) firstAt = now;
  lastAt = now;
  const at = text.indexOf('"t":');
  if (at !== -1) hist.record(now - parseFloat(text.slice(at + 4, at + 40)));
}

/** Resolves with the HTTP status (or `error:<code>`) once the stream or socket is established. */
function openSse(ep: Endpoint, user: string, token: string, keep: boolean): Promise<string> {
  return new Promise((resolve) => {
    const conn: Conn = { close: () => req.destroy(), reached: false };
    let settled = false;
    const settle = (s: string) => {
      if (!settled) {
        settled = true;
        resolve(s);
      }
    };
    const req: ClientRequest = request({
      host: '127.0.0.1',
      port: ep.port,
      path: `/v1/notifications/stream?u=${encodeURIComponent(user)}`,
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      localAddress: ep.localAddress,
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (conns.delete(conn)) dropped++;
      settle(`error:${err.code ?? err.message}`);
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        settle(String(res.statusCode));
        return;
      }
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end;
        while ((end = buf.indexOf('\n\n')) !== -1) {
          const event = buf.slice(0, end);
          buf = buf.slice(end + 2);
          if (event.includes('event: notification')) onNotification(conn, event);
        }
        // The first frame (retry + position) proves the stream is live on the server.
        if (keep) conns.add(conn);
        settle('200');
        if (!keep) req.destroy();
      });
      res.on('close', () => {
        if (conns.delete(conn)) dropped++;
        settle('closed');
      });
    });
    req.end();
  });
}

const SUBSCRIBE = '{"event":"subscribe","data":{"channels":["bench"]}}';

function openWs(ep: Endpoint, user: string, token: string, keep: boolean): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${ep.port}/v1/ws?u=${encodeURIComponent(user)}`, {
      headers: { authorization: `Bearer ${token}` },
      localAddress: ep.localAddress,
      perMessageDeflate: false,
    });
    const conn: Conn = { close: () => ws.terminate(), reached: false };
    let settled = false;
    const settle = (s: string) => {
      if (!settled) {
        settled = true;
        resolve(s);
      }
    };
    ws.on('unexpected-response', (_req, res) => {
      settle(String(res.statusCode));
      ws.terminate();
    });
    ws.on('error', (err: NodeJS.ErrnoException) => settle(`error:${err.code ?? err.message}`));
    ws.on('open', () => ws.send(SUBSCRIBE));
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.includes('"event":"notification"')) onNotification(conn, text);
      else if (text.includes('"event":"subscribed"')) {
        // Delivery is live once the server confirms the subscription.
        if (keep) conns.add(conn);
        settle('200');
        if (!keep) ws.close();
      }
    });
    ws.on('close', () => {
      if (conns.delete(conn)) dropped++;
      settle('closed');
    });
  });
}

function open(ep: Endpoint, user: string, keep: boolean): Promise<string> {
  return signToken(ep.secret, { sub: user, ttlSeconds: 6 * 3600 }).then((token) =>
    ep.transport === 'sse' ? openSse(ep, user, token, keep) : openWs(ep, user, token, keep),
  );
}

function tally(statuses: Record<string, number>, s: string): void {
  statuses[s] = (statuses[s] ?? 0) + 1;
}

async function connect(ep: Endpoint, users: string[], batch: number): Promise<Reply> {
  const statuses: Record<string, number> = {};
  for (let i = 0; i < users.length; i += batch) {
    const results = await Promise.all(users.slice(i, i + batch).map((u) => open(ep, u, true)));
    for (const s of results) tally(statuses, s);
  }
  const ok = statuses['200'] ?? 0;
  return { ev: 'connected', ok, failed: users.length - ok, statuses };
}

async function churn(
  ep: Endpoint,
  prefix: string,
  cycles: number,
  concurrency: number,
): Promise<Reply> {
  const statuses: Record<string, number> = {};
  let next = 0;
  const lane = async () => {
    while (next < cycles) {
      const n = next++;
      tally(statuses, await open(ep, `${prefix}${n}`, false));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const ok = statuses['200'] ?? 0;
  return { ev: 'churned', ok, failed: cycles - ok, statuses };
}

process.on('message', (msg: Command) => {
  switch (msg.cmd) {
    case 'connect':
      void connect(msg.endpoint, msg.users, msg.batch).then(send);
      break;
    case 'churn':
      void churn(msg.endpoint, msg.prefix, msg.cycles, msg.concurrency).then(send);
      break;
    case 'reset':
      hist = new Histogram();
      delivered = reached = firstAt = lastAt = 0;
      for (const c of conns) c.reached = false;
      send({ ev: 'reset' });
      break;
    case 'stats':
      send({
        ev: 'stats',
        delivered,
        reached,
        firstAt,
        lastAt,
        hist: hist.toSparse(),
        open: conns.size,
        dropped,
      });
      break;
    case 'close':
      for (const c of [...conns]) {
        conns.delete(c);
        c.close();
      }
      send({ ev: 'closed' });
      break;
  }
});
process.on('disconnect', () => process.exit(0));
