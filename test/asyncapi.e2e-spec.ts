import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/app-config.js';
import {
  decodeClientFrame,
  errorFrame,
  notificationFrame,
  pongFrame,
  resetFrame,
  subscribedFrame,
  unsubscribedFrame,
  type ErrorCode,
} from '../src/delivery/ws/ws-protocol.js';
import {
  IDEMPOTENCY_HEADER,
  decodeKafkaMessage,
} from '../src/ingest/kafka/kafka-message.decoder.js';
import { DLQ_HEADERS } from '../src/ingest/kafka/kafka-notification.source.js';
import { DEAD_LETTER_REASONS } from '../src/ingest/kafka/kafka-source.stats.js';
import { StoredNotification } from '../src/notifications/notification.js';
import { DEDUPE_KEY_PATTERN, NotificationCodec } from '../src/notifications/notification.codec.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { openSse } from './support/sse-client.js';
import { until } from './support/wait.js';

/**
 * docs/asyncapi.yaml is what producers, DLQ readers and browser clients go by: it must be valid
 * AsyncAPI 3 and say exactly what the code reads and writes on every asynchronous interface.
 */
type Json = Record<string, unknown>;
interface Example {
  name: string;
  headers?: Json;
  payload?: unknown;
}
interface Message {
  name: string;
  headers?: Json;
  payload?: unknown;
  examples: Example[];
}

const DOC_URL = new URL('../docs/asyncapi.yaml', import.meta.url);
const doc = parse(readFileSync(DOC_URL, 'utf8')) as Json;

/** Follows a `$ref`: `#/a/b` inside the document, or a file beside it (with an optional `#/...`). */
/** The text a server frame carries (unmasked, unfragmented: the bytes after its header). */
function frameText(frame: Buffer): string {
  const length = frame[1] & 0x7f;
  return frame.subarray(length === 126 ? 4 : length === 127 ? 10 : 2).toString();
}

function resolve(ref: string): unknown {
  const [file, pointer = ''] = ref.split('#');
  const root: unknown = file
    ? JSON.parse(readFileSync(new URL(file, DOC_URL), 'utf8'))
    : (doc as unknown);
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], root);
}

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

/** The node with every `$ref` replaced by its target (the document has no cycles). */
function inline(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(inline);
  if (!node || typeof node !== 'object') return node;
  const { $ref, ...rest } = node as Json;
  if (typeof $ref === 'string') {
    // An external JSON Schema keeps its own dialect; inside another schema only its rules count.
    const { $schema: _s, $id: _i, ...target } = resolve($ref) as Json;
    return inline({ ...target, ...rest });
  }
  return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, inline(v)]));
}

const ajv = new Ajv2020({ allErrors: true }).addFormat('date-time', {
  type: 'string',
  validate: (s: string) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !isNaN(Date.parse(s)),
});
/** Asserts `value` matches `schema`, naming `what` and Ajv's complaints when it does not. */
function expectValid(what: string, schema: unknown, value: unknown): void {
  const validate = ajv.compile(inline(schema) as Json);
  expect([what, validate(value) ? 'valid' : ajv.errorsText(validate.errors)]).toEqual([
    what,
    'valid',
  ]);
}

const components = doc.components as { messages: Record<string, Message> };
const channels = doc.channels as Record<
  string,
  { address: string; description: string; messages: Json }
>;
const operations = doc.operations as Record<
  string,
  { action: string; channel: { $ref: string }; messages: { $ref: string }[] }
>;
/** The messages of a channel, by their key in the channel. */
const messagesOf = (channel: string): Record<string, Message> =>
  Object.fromEntries(
    Object.entries(channels[channel].messages).map(([k, m]) => [k, inline(m) as Message]),
  );
/** Keys of the messages the operations of `channel` with `action` carry. */
const byAction = (channel: string, action: string) =>
  Object.values(operations)
    .filter((o) => o.action === action && o.channel.$ref === `#/channels/${channel}`)
    .flatMap((o) => o.messages.map((m) => m.$ref.split('/').at(-1)!));
function sole<T>(list: T[]): T {
  if (list.length !== 1) throw new Error(`expected exactly one, got ${list.length}`);
  return list[0];
}

/** Every ErrorCode: the compiler rejects this object when a code is added or removed. */
const ERROR_CODES = {
  bad_frame: true,
  unknown_event: true,
  bad_request: true,
  rate_limited: true,
  internal_error: true,
} satisfies Record<ErrorCode, true>;

const config = loadConfig({});
const codec = new NotificationCodec({
  payloadMaxBytes: config.PAYLOAD_MAX_BYTES,
  maxRecipients: config.MAX_RECIPIENTS,
});

describe('docs/asyncapi.yaml', () => {
  it('is a valid AsyncAPI 3.0 document (the official JSON Schema)', () => {
    const specs = createRequire(import.meta.url)('@asyncapi/specs/schemas/3.0.0.json') as Json;
    const validator = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    // The AsyncAPI schema bundles its own copy of the draft-07 meta-schema.
    validator.removeSchema('http://json-schema.org/draft-07/schema');
    const validate = validator.compile(specs);
    expect(validate(doc) ? 'valid' : validator.errorsText(validate.errors)).toBe('valid');
  });

  it('resolves every reference, the external notification schema included', () => {
    const refs = refsIn(doc);
    expect(refs).toContain('./notification.schema.json');
    for (const ref of refs) expect([ref, resolve(ref) !== undefined]).toEqual([ref, true]);
    expect((resolve('./notification.schema.json') as Json).title).toBe('Published notification');
  });

  it('describes the Kafka topic, the dead-letter topic, the SSE stream and the WebSocket', () => {
    expect(Object.keys(doc.servers as Json).sort()).toEqual([
      'http',
      'https',
      'kafka',
      'ws',
      'wss',
    ]);
    expect(Object.fromEntries(Object.entries(channels).map(([k, c]) => [k, c.address]))).toEqual({
      notifications: 'notifications',
      deadLetters: 'notifications.dlq',
      sse: '/v1/notifications/stream',
      ws: '/v1/ws',
    });
    expect(config.KAFKA_TOPICS).toEqual([channels.notifications.address]);
    expect(`${config.KAFKA_TOPICS[0]}${config.KAFKA_DLQ_SUFFIX}`).toBe(
      channels.deadLetters.address,
    );
  });

  it('has examples that match their own message schemas', () => {
    for (const [key, m] of Object.entries(components.messages)) {
      expect([key, m.examples.length > 0]).toEqual([key, true]);
      for (const ex of m.examples) {
        if (m.payload !== undefined) expectValid(`${key} payload`, m.payload, ex.payload);
        if (m.headers !== undefined) expectValid(`${key} headers`, m.headers, ex.headers ?? {});
      }
    }
  });
});

describe('docs/asyncapi.yaml: Kafka', () => {
  const notification = sole(Object.values(messagesOf('notifications')));
  const deadLetter = sole(Object.values(messagesOf('deadLetters')));
  const maxBytes = config.KAFKA_MESSAGE_MAX_BYTES;

  it('names every dead-letter header and reason the source writes, and the idempotency header', () => {
    const headers = deadLetter.headers as { required: string[]; properties: Json };
    const dlqHeaders = Object.values(DLQ_HEADERS).sort();
    expect(Object.keys(headers.properties).sort()).toEqual(dlqHeaders);
    expect([...headers.required].sort()).toEqual(dlqHeaders);
    expect((headers.properties[DLQ_HEADERS.reason] as Json).enum).toEqual([...DEAD_LETTER_REASONS]);
    const idempotency = (notification.headers as { properties: Json }).properties[
      IDEMPOTENCY_HEADER
    ] as Json;
    expect(idempotency.pattern).toBe(DEDUPE_KEY_PATTERN.source);
  });

  it('has a notification example the codec and the Kafka decoder accept', () => {
    for (const { payload } of notification.examples) {
      expect(codec.decode(payload)).toMatchObject({ ok: true });
      const value = Buffer.from(JSON.stringify(payload));
      const decoded = decodeKafkaMessage(
        codec,
        'notifications:0',
        { value, offset: '0' },
        maxBytes,
      );
      expect(decoded).toMatchObject({ ok: true });
    }
  });

  it('has a dead-letter example whose reason and error are what the decoder says', () => {
    for (const { headers, payload } of deadLetter.examples) {
      const value = Buffer.from(payload as string);
      const decoded = decodeKafkaMessage(
        codec,
        'notifications:0',
        { value, offset: '42' },
        maxBytes,
      );
      expect(decoded).toEqual({
        ok: false,
        reason: headers![DLQ_HEADERS.reason],
        error: headers![DLQ_HEADERS.error],
      });
    }
  });
});

describe('docs/asyncapi.yaml: Server-Sent Events', () => {
  const sse = messagesOf('sse');
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ SSE_HEARTBEAT_MS: '100' });
  });
  afterAll(() => gw.close());

  const stream = async (user: string, headers: Record<string, string> = {}) =>
    openSse(`${gw.url}${channels.sse.address}`, {
      authorization: `Bearer ${await gw.token(user)}`,
      ...headers,
    });

  it('documents exactly the frames the stream sends, all of them sent by one operation', () => {
    expect(Object.keys(sse).sort()).toEqual(['heartbeat', 'notification', 'position', 'reset']);
    expect(byAction('sse', 'send').sort()).toEqual(Object.keys(sse).sort());
    expect(byAction('sse', 'receive')).toEqual([]);
    for (const [key, m] of Object.entries(sse)) expect(m.name).toBe(key);
  });

  it('starts a stream without a cursor with the documented id-only position frame', async () => {
    const conn = await stream('pos');
    await until('the position frame', () => conn.lastEventId !== undefined);
    expect(conn.events).toEqual([]);
    expectValid('position headers', sse.position.headers, {
      id: conn.lastEventId,
      retry: conn.retry,
    });
    expect(conn.retry).toBe(config.SSE_RETRY_MS);
    conn.close();
  });

  it('sends notification events as documented, with the example’s data keys', async () => {
    const conn = await stream('alice');
    const { results } = await gw.publish({
      userId: 'alice',
      channel: 'chat',
      type: 'message.created',
      payload: { text: 'hi' },
    });
    const [ev] = await conn.waitForEvents(1);
    const data = JSON.parse(ev.data) as Json;
    expectValid('notification headers', sse.notification.headers, { event: ev.event, id: ev.id });
    expectValid('notification data', sse.notification.payload, data);
    expect(ev.id).toBe(results[0].id);
    expect(data.id).toBe(ev.id);
    const example = sole(sse.notification.examples);
    expect(Object.keys(data).sort()).toEqual(Object.keys(example.payload as Json).sort());
    expect(example.headers!.id).toBe((example.payload as Json).id);
    conn.close();
  });

  it('sends reset events as documented, with the example’s data keys', async () => {
    const conn = await stream('bob', { 'last-event-id': 'zzzz-1' });
    const [ev] = await conn.waitForEvents(1);
    const data = JSON.parse(ev.data) as Json;
    expectValid('reset headers', sse.reset.headers, { event: ev.event, id: ev.id });
    expectValid('reset data', sse.reset.payload, data);
    expect(data.id).toBe(ev.id);
    const example = sole(sse.reset.examples);
    expect(Object.keys(data).sort()).toEqual(Object.keys(example.payload as Json).sort());
    expect(example.headers!.id).toBe((example.payload as Json).id);
    conn.close();
  });

  it('sends the documented heartbeat comment, announcing its interval in the documented header', async () => {
    const conn = await stream('carol');
    expect(channels.sse.description).toContain('Heartbeat-Interval-Ms');
    expect(conn.headers['heartbeat-interval-ms']).toBe('100');
    const comment = await conn.waitForComment();
    expectValid('heartbeat', sse.heartbeat.payload, comment);
    expect(comment).toBe(sole(sse.heartbeat.examples).payload);
    conn.close();
  });
});

describe('docs/asyncapi.yaml: WebSocket', () => {
  const ws = messagesOf('ws');

  it('documents exactly the client frames the gateway accepts, with examples it accepts', () => {
    const client = byAction('ws', 'receive');
    expect(client.sort()).toEqual(['ping', 'subscribe', 'unsubscribe']);
    for (const name of client) {
      for (const { payload } of ws[name].examples) {
        const decoded = decodeClientFrame(JSON.stringify(payload), false);
        expect(decoded).toMatchObject({ ok: true, message: { event: name } });
      }
    }
  });

  it('documents the server frames, each as the gateway encodes it', () => {
    expect(byAction('ws', 'send').sort()).toEqual(
      ['error', 'notification', 'pong', 'reset', 'subscribed', 'unsubscribed'].sort(),
    );
    for (const [key, m] of Object.entries(ws)) {
      expect(m.name).toBe(key);
      for (const { payload } of m.examples) expect((payload as Json).event).toBe(key);
    }
    const n = new StoredNotification(31, 'e1', ['u'], 'chat', 'message.created', '{}', 0, 0);
    const sent = JSON.parse(frameText(notificationFrame(n))) as { data: Json };
    const documented = (sole(ws.notification.examples).payload as { data: Json }).data;
    expect(Object.keys(documented).sort()).toEqual(Object.keys(sent.data).sort());

    const codes = (
      ((ws.error.payload as Json).properties as { data: { properties: { code: Json } } }).data
        .properties.code.enum as ErrorCode[]
    ).sort();
    expect(codes).toEqual(Object.keys(ERROR_CODES).sort());
    const frames: [string, string][] = [
      ['notification', frameText(notificationFrame(n))],
      ['reset', resetFrame('e1-w')],
      ['subscribed', subscribedFrame(['chat', 'orders'], 'e1-w')],
      ['unsubscribed', unsubscribedFrame([])],
      ['pong', pongFrame({ t: 1 })],
      ...codes.map((code): [string, string] => ['error', errorFrame(code, 'why')]),
    ];
    for (const [name, frame] of frames)
      expectValid(`${name} frame`, ws[name].payload, JSON.parse(frame));
  });
});
