import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import net from 'node:net';
import WebSocket from 'ws';
import { CONNECTION_LIMITER } from '../src/app.tokens.js';
import type { ConnectionLimiter } from '../src/connections/connection-limiter.js';
import { WsGateway } from '../src/delivery/ws/ws.gateway.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { scrapeMetrics } from './support/metrics-scrape.js';
import { until } from './support/wait.js';
import { openSse } from './support/sse-client.js';
import { connectWs, refusal, type Frame, type WsClient } from './support/ws-client.js';

type NotificationData = { id: string; channel: string; type: string; payload: unknown };
const dataOf = (f: Frame) => f.data as NotificationData;

/** A client frame must be masked (RFC 6455 5.3); a short text frame is enough here. */
function maskedTextFrame(text: string): Buffer {
  const data = Buffer.from(text);
  if (data.length > 125) throw new Error('maskedTextFrame handles short frames only');
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = data.map((b, i) => b ^ mask[i % 4]);
  return Buffer.concat([Buffer.from([0x81, 0x80 | data.length]), mask, masked]);
}

describe('WebSocket gateway', () => {
  let gw: TestGateway;
  let wsUrl: string;
  let limiter: ConnectionLimiter;

  beforeAll(async () => {
    gw = await startGateway({
      MAX_CONNECTIONS_PER_USER: '3',
      WS_MAX_PAYLOAD: '1024',
      WS_RATE_LIMIT_PER_SECOND: '5',
      WS_RATE_LIMIT_BURST: '10',
      WS_PING_INTERVAL_MS: '300',
      WS_PONG_TIMEOUT_MS: '300',
      WS_ALLOWED_ORIGINS: 'https://app.example.com',
    });
    wsUrl = `ws://127.0.0.1:${gw.port}/v1/ws`;
    limiter = gw.app.get(CONNECTION_LIMITER);
  });
  afterAll(() => gw.close());

  const connect = async (user: string, options: WebSocket.ClientOptions = {}) =>
    connectWs(wsUrl, {
      ...options,
      headers: { authorization: `Bearer ${await gw.token(user)}`, ...options.headers },
    });

  const subscribe = async (c: WsClient, channels: string[], lastEventId?: string) => {
    c.send('subscribe', { channels, ...(lastEventId && { lastEventId }) });
    return (await c.next('subscribed')).data as { channels: string[]; id: string };
  };

  const publish = async (user: string, channel: string, text = channel) =>
    (await gw.publish({ userId: user, channel, type: 'message.created', payload: { text } }))
      .results[0].id;

  it('multiplexes two channels over one socket and leaves out the others', async () => {
    const c = await connect('mux');
    const ack = await subscribe(c, ['chat', 'orders']);
    expect(ack.channels).toEqual(['chat', 'orders']);
    expect(ack.id).toMatch(/^[a-z0-9]+-[a-z0-9]+$/);
    await publish('mux', 'other');
    const chat = await publish('mux', 'chat');
    const orders = await publish('mux', 'orders');
    await publish('someone-else', 'chat');
    const a = await c.next('notification');
    const b = await c.next('notification');
    expect(dataOf(a)).toMatchObject({ id: chat, channel: 'chat', payload: { text: 'chat' } });
    expect(dataOf(b)).toMatchObject({ id: orders, channel: 'orders' });

    c.send('unsubscribe', { channels: ['orders'] });
    expect((await c.next('unsubscribed')).data).toEqual({ channels: ['chat'] });
    await publish('mux', 'orders');
    const chat2 = await publish('mux', 'chat');
    expect(dataOf(await c.next('notification')).id).toBe(chat2);

    // A channel added later starts live, on the same socket.
    expect((await subscribe(c, ['orders'])).channels).toEqual(['chat', 'orders']);
    const orders2 = await publish('mux', 'orders');
    expect(dataOf(await c.next('notification')).id).toBe(orders2);
    expect(c.frames.filter((f) => f.event === 'notification')).toHaveLength(4);
    await c.close();
  });

  it('resumes after lastEventId with exactly the missed notifications', async () => {
    const first = await connect('resume');
    await subscribe(first, ['chat']);
    const n1 = await publish('resume', 'chat', 'one');
    expect(dataOf(await first.next('notification')).id).toBe(n1);
    await first.close();

    const n2 = await publish('resume', 'chat', 'two');
    await publish('resume', 'news', 'not subscribed');
    const n3 = await publish('resume', 'chat', 'three');

    const second = await connect('resume');
    expect((await subscribe(second, ['chat'], n1)).id).toBe(n1);
    expect(dataOf(await second.next('notification')).id).toBe(n2);
    expect(dataOf(await second.next('notification')).id).toBe(n3);
    const n4 = await publish('resume', 'chat', 'four');
    expect(dataOf(await second.next('notification')).id).toBe(n4);
    expect(
      second.frames.filter((f) => f.event === 'notification').map((f) => dataOf(f).id),
    ).toEqual([n2, n3, n4]);
    await second.close();
  });

  it('sends reset for a cursor it cannot resume', async () => {
    const c = await connect('reset');
    c.send('subscribe', { channels: ['chat'], lastEventId: 'zzzzzz-1' });
    await c.next('subscribed');
    const reset = (await c.next('reset')).data as { id: string; reason: string };
    expect(reset.reason).toBe('cursor_unavailable');
    const n = await publish('reset', 'chat');
    expect(dataOf(await c.next('notification')).id).toBe(n);
    await c.close();
  });

  it('delivers each notification to the same user on SSE and WebSocket', async () => {
    const c = await connect('both');
    await subscribe(c, ['chat']);
    const sse = await openSse(`${gw.url}/v1/notifications/stream?channels=chat`, {
      authorization: `Bearer ${await gw.token('both')}`,
    });
    await until('the SSE start position', () => sse.lastEventId !== undefined);
    const n = await publish('both', 'chat');
    expect(dataOf(await c.next('notification')).id).toBe(n);
    expect((await sse.waitForEvents(1))[0].id).toBe(n);
    sse.close();
    await c.close();
  });

  it('counts caps across SSE, WebSocket and long polling, refusing with 429 before the upgrade', async () => {
    const auth = { authorization: `Bearer ${await gw.token('capped')}` };
    const sse = await openSse(`${gw.url}/v1/notifications/stream`, auth);
    expect(sse.status).toBe(200);
    const c = await connect('capped');
    const held = new AbortController();
    const poll = fetch(`${gw.url}/v1/notifications/poll?timeout=50`, {
      headers: auth,
      signal: held.signal,
    }).catch((err: Error) => err);
    await until('the long poll to hold a slot', () => limiter.countFor('capped') === 3);

    const refused = await refusal(connect('capped'));
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe(String(gw.config.CONNECTION_RETRY_AFTER_SECONDS));
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(await refused.body).toMatchObject({
      statusCode: 429,
      error: 'too_many_connections',
      reason: 'user_cap',
    });
    expect((await openSse(`${gw.url}/v1/notifications/stream`, auth)).status).toBe(429);
    const poll429 = await fetch(`${gw.url}/v1/notifications/poll?timeout=1`, { headers: auth });
    expect(poll429.status).toBe(429);

    held.abort();
    await poll;
    await until('the long-poll slot to be released', () => limiter.countFor('capped') === 2);
    const second = await connect('capped');
    await c.close();
    await until('the WebSocket slot to be released', () => limiter.countFor('capped') === 2);
    const third = await connect('capped');
    expect(limiter.countFor('capped')).toBe(3);
    sse.close();
    await second.close();
    await third.close();
    await until('every slot to be released', () => limiter.countFor('capped') === 0);
  });

  it('refuses a missing or bad token with 401 before the upgrade', async () => {
    const none = await refusal(connectWs(wsUrl));
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(await none.body).toEqual({
      statusCode: 401,
      error: 'unauthorized',
      message: 'missing access token',
    });
    const bad = await refusal(connectWs(`${wsUrl}?access_token=not-a-jwt`));
    expect(bad.status).toBe(401);
    const expired = await refusal(
      connectWs(wsUrl, {
        headers: { authorization: `Bearer ${await gw.token('late', { ttlSeconds: -10 })}` },
      }),
    );
    expect(expired.status).toBe(401);
    expect(await expired.body).toMatchObject({ message: 'token expired' });
  });

  it('answers an upgrade to another path 404 and a malformed target 400, with the JSON error body', async () => {
    const wrong = await refusal(
      connectWs(`ws://127.0.0.1:${gw.port}/v1/socket`, {
        headers: { authorization: `Bearer ${await gw.token('p')}` },
      }),
    );
    expect(wrong.status).toBe(404);
    expect(await wrong.body).toEqual({
      statusCode: 404,
      error: 'not_found',
      message: 'no WebSocket endpoint at this path (WebSocket endpoints: /v1/ws)',
    });

    const raw = net.connect(gw.port, '127.0.0.1');
    raw.end(
      'GET http://[bad/v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    let answer = '';
    raw.setEncoding('utf8').on('data', (c: string) => (answer += c));
    await once(raw, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      statusCode: 400,
      error: 'bad_request',
    });
    expect(limiter.countFor('p')).toBe(0);
  });

  it('takes the token from the access_token query parameter and the cookie', async () => {
    const byQuery = await connectWs(`${wsUrl}?access_token=${await gw.token('q')}`);
    expect((await subscribe(byQuery, ['chat'])).channels).toEqual(['chat']);
    await byQuery.close();
    const byCookie = await connectWs(wsUrl, {
      headers: { cookie: `theme=dark; access_token=${await gw.token('q')}` },
    });
    await byCookie.close();
  });

  it('refuses a cross-site Origin with 403 and allows same-origin and listed origins', async () => {
    const evil = await refusal(connect('o', { origin: 'https://evil.example' }));
    expect(evil.status).toBe(403);
    expect(await evil.body).toMatchObject({ statusCode: 403, error: 'forbidden' });
    expect(limiter.countFor('o')).toBe(0);

    const same = await connect('o', { origin: `http://127.0.0.1:${gw.port}` });
    const listed = await connect('o', { origin: 'https://app.example.com' });
    await same.close();
    await listed.close();
  });

  it('answers malformed and unknown frames with an error frame and keeps the socket', async () => {
    const c = await connect('bad-frames');
    c.ws.send('{not json');
    expect((await c.next('error')).data).toMatchObject({ code: 'bad_frame' });
    c.send('shout', {});
    expect((await c.next('error')).data).toMatchObject({ code: 'unknown_event' });
    c.send('subscribe', { channels: ['no spaces allowed'] });
    expect((await c.next('error')).data).toMatchObject({ code: 'bad_request' });
    c.ws.send(Buffer.from('{}'), { binary: true });
    expect((await c.next('error')).data).toMatchObject({ code: 'bad_frame' });
    c.send('ping', { t: 1 });
    expect((await c.next('pong')).data).toEqual({ t: 1 });
    await subscribe(c, ['chat']);
    const n = await publish('bad-frames', 'chat');
    expect(dataOf(await c.next('notification')).id).toBe(n);
    await c.close();
  });

  it('closes a socket that sends a frame over WS_MAX_PAYLOAD with 1009', async () => {
    const bystander = await connect('big-bystander');
    const c = await connect('big');
    c.send('ping', 'x'.repeat(2000));
    expect((await c.closed).code).toBe(1009);
    bystander.send('ping', 'still here');
    expect((await bystander.next('pong')).data).toBe('still here');
    await bystander.close();
    await until('the slot to be released', () => limiter.countFor('big') === 0);
  });

  it('rate limits a flooding client and closes it with 1008', async () => {
    const c = await connect('flood');
    for (let i = 0; i < 40; i++) c.send('ping', i);
    expect((await c.next('error')).data).toMatchObject({ code: 'rate_limited' });
    expect((await c.closed).code).toBe(1008);
    expect(c.frames.filter((f) => f.event === 'pong').length).toBeLessThanOrEqual(11);
    expect(c.frames.filter((f) => f.event === 'error')).toHaveLength(1);
  });

  it('pings, keeps a peer that answers and terminates one that does not, freeing its slot', async () => {
    const alive = await connect('heartbeat-ok');
    const pinged = new Promise<void>((r) => alive.ws.once('ping', () => r()));
    const dead = await connect('heartbeat-dead', { autoPong: false });
    await pinged;
    const { code } = await dead.closed;
    expect(code).toBe(1006); // terminated: no closing handshake
    await until('the slot to be released', () => limiter.countFor('heartbeat-dead') === 0);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    expect(limiter.countFor('heartbeat-ok')).toBe(1);
    await alive.close();
  });

  it('closes with 4401 when the token expires mid-connection', async () => {
    const c = await connectWs(wsUrl, {
      headers: { authorization: `Bearer ${await gw.token('expiring', { ttlSeconds: 1 })}` },
    });
    const { code, reason } = await c.closed;
    expect(code).toBe(4401);
    expect(reason).toBe('token expired');
    await until('the slot to be released', () => limiter.countFor('expiring') === 0);
  });

  it('counts WebSocket admissions, refusals, deliveries and heartbeats in /metrics', async () => {
    const m = await scrapeMetrics(gw.url);
    const get = (k: string) => m.get(k) ?? 0;
    expect(get('gateway_connects_total{transport="ws"}')).toBeGreaterThan(10);
    expect(get('gateway_connection_rejections_total{reason="origin",transport="ws"}')).toBe(1);
    expect(get('gateway_connection_rejections_total{reason="auth",transport="ws"}')).toBe(3);
    expect(get('gateway_connection_rejections_total{reason="cap",transport="ws"}')).toBe(1);
    expect(get('gateway_deliveries_total{transport="ws"}')).toBeGreaterThan(10);
    expect(get('gateway_heartbeats_total{transport="ws"}')).toBeGreaterThan(0);
  });

  it('closes every socket with a code, spread over a window', async () => {
    const a = await connect('drain-a');
    const b = await connect('drain-b');
    const started = Date.now();
    await gw.app.get(WsGateway).closeAll(1012, 200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect((await a.closed).code).toBe(1012);
    expect((await b.closed).code).toBe(1012);
  });
});

describe('WebSocket backpressure', () => {
  // Heartbeats off for the test's duration: a paused client cannot answer pings either, and the
  // point is to see it closed for its send buffer.
  let slowGw: TestGateway;
  let slowLimiter: ConnectionLimiter;
  beforeAll(async () => {
    slowGw = await startGateway({
      WS_MAX_BUFFERED_BYTES: '16384',
      WS_PONG_TIMEOUT_MS: '300',
      PAYLOAD_MAX_BYTES: '1048576',
      PUBLISH_MAX_BODY_BYTES: '16777216',
    });
    slowLimiter = slowGw.app.get(CONNECTION_LIMITER);
  });
  afterAll(() => slowGw.close());

  it('closes a client that stops reading once its send buffer passes the bound', async () => {
    // A raw client, so nothing reads on its behalf once it pauses.
    const sock = net.connect(slowGw.port, '127.0.0.1');
    await once(sock, 'connect');
    sock.write(
      `GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1:${slowGw.port}\r\nUpgrade: websocket\r\n` +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        `Sec-WebSocket-Version: 13\r\nAuthorization: Bearer ${await slowGw.token('slow')}\r\n\r\n`,
    );
    let received = '';
    sock.setEncoding('latin1');
    sock.on('data', (chunk: string) => (received += chunk));
    await until('the 101', () => received.includes('\r\n\r\n'));
    expect(received).toMatch(/^HTTP\/1\.1 101/);
    sock.write(
      maskedTextFrame(JSON.stringify({ event: 'subscribe', data: { channels: ['big'] } })),
    );
    await until('the subscribed ack', () => received.includes('"subscribed"'));
    sock.pause();

    const payload = { blob: 'x'.repeat(1_000_000) };
    const batch = Array.from({ length: 8 }, () => ({
      userId: 'slow',
      channel: 'big',
      type: 't',
      payload,
    }));
    for (let i = 0; i < 12 && slowLimiter.countFor('slow') > 0; i++) await slowGw.publish(batch);
    await until('the slow client to be cut off', () => slowLimiter.countFor('slow') === 0);
    const m = await scrapeMetrics(slowGw.url);
    expect(m.get('gateway_slow_client_disconnects_total{transport="ws"}')).toBe(1);
    sock.destroy();
  });
});
