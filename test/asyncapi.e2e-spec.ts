import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { decodeClientFrame, notificationFrame } from '../src/delivery/ws/ws-protocol.js';
import { StoredNotification } from '../src/notifications/notification.js';

type Json = Record<string, unknown>;
const doc = JSON.parse(
  readFileSync(new URL('../docs/asyncapi.json', import.meta.url), 'utf8'),
) as Json;

function resolve(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], doc);
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

const messages = (doc.components as Json).messages as Record<
  string,
  { examples: { payload: { event: string; data?: unknown } }[] }
>;
const operations = doc.operations as Record<
  string,
  { action: string; messages: { $ref: string }[] }
>;
const byAction = (action: string) =>
  Object.values(operations)
    .filter((o) => o.action === action)
    .flatMap((o) => o.messages.map((m) => m.$ref.split('/').at(-1)!));

describe('docs/asyncapi.json', () => {
  it('is AsyncAPI 3 for /v1/ws and every reference resolves', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(((doc.channels as Json).ws as Json).address).toBe('/v1/ws');
    for (const ref of refsIn(doc)) expect([ref, resolve(ref) !== undefined]).toEqual([ref, true]);
  });

  it('documents exactly the client frames the gateway accepts, with examples it accepts', () => {
    const client = byAction('receive');
    expect(client.sort()).toEqual(['ping', 'subscribe', 'unsubscribe']);
    for (const name of client) {
      for (const { payload } of messages[name].examples) {
        const decoded = decodeClientFrame(JSON.stringify(payload), false);
        expect(decoded).toMatchObject({ ok: true, message: { event: name } });
      }
    }
  });

  it('documents the server frames, the notification one matching what the gateway sends', () => {
    expect(byAction('send').sort()).toEqual(
      ['error', 'notification', 'pong', 'reset', 'subscribed', 'unsubscribed'].sort(),
    );
    for (const [name, m] of Object.entries(messages)) {
      for (const { payload } of m.examples) expect(payload.event).toBe(name);
    }
    const n = new StoredNotification(31, 'e1-v', ['u'], 'chat', 'message.created', '{}', 0, 0);
    const sent = JSON.parse(notificationFrame(n).toString()) as { data: Json };
    const documented = messages.notification.examples[0].payload.data as Json;
    expect(Object.keys(documented).sort()).toEqual(Object.keys(sent.data).sort());
  });
});
