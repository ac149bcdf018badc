import type { NotificationInput } from './notification.js';

/**
 * The one validator for every ingress (HTTP publish, Kafka). It checks the raw JSON value, never
 * trusts a field it has not checked, and either returns a complete input or every problem found,
 * each naming its field, so nothing partial is ever stored.
 */
export interface CodecLimits {
  readonly payloadMaxBytes: number;
  readonly maxRecipients: number;
}

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export type DecodeResult =
  | { readonly ok: true; readonly value: NotificationInput }
  | { readonly ok: false; readonly problems: FieldProblem[] };

// The patterns exclude CR, LF and every other control character, so no field can break SSE framing.
export const USER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$/;
export const CHANNEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
export const DEDUPE_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
export const MAX_TTL_SECONDS = 30 * 86_400;
export const DEFAULT_CHANNEL = 'default';

const KNOWN_FIELDS = new Set([
  'userId',
  'userIds',
  'broadcast',
  'channel',
  'type',
  'payload',
  'id',
  'ttlSeconds',
]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkString(
  value: unknown,
  field: string,
  pattern: RegExp,
  form: string,
  problems: FieldProblem[],
): value is string {
  if (typeof value !== 'string') {
    problems.push({ field, message: `must be a string (${form})` });
    return false;
  }
  if (!pattern.test(value)) {
    problems.push({ field, message: `must be ${form}` });
    return false;
  }
  return true;
}

export class NotificationCodec {
  constructor(private readonly limits: CodecLimits) {}

  /** Validates one published notification; `prefix` names its place in a batch (`[3].`). */
  decode(raw: unknown, prefix = ''): DecodeResult {
    const problems: FieldProblem[] = [];
    const f = (name: string) => `${prefix}${name}`;
    if (!isPlainObject(raw)) {
      return {
        ok: false,
        problems: [{ field: prefix || '(body)', message: 'must be a JSON object' }],
      };
    }
    for (const key of Object.keys(raw)) {
      if (!KNOWN_FIELDS.has(key)) problems.push({ field: f(key), message: 'is not a known field' });
    }

    let userIds: string[] | null = null;
    const targets =
      Number(raw.userId !== undefined) +
      Number(raw.userIds !== undefined) +
      Number(raw.broadcast !== undefined);
    if (targets !== 1) {
      problems.push({
        field: f('userId'),
        message: 'exactly one of userId, userIds or broadcast: true is required',
      });
    } else if (raw.userId !== undefined) {
      const form = 'a user id: 1-128 of letters, digits and ._:@+- starting with a letter or digit';
      if (checkString(raw.userId, f('userId'), USER_ID_PATTERN, form, problems))
        userIds = [raw.userId];
    } else if (raw.userIds !== undefined) {
      const list = raw.userIds;
      if (!Array.isArray(list) || list.length === 0) {
        problems.push({ field: f('userIds'), message: 'must be a non-empty array of user ids' });
      } else if (list.length > this.limits.maxRecipients) {
        problems.push({
          field: f('userIds'),
          message: `has ${list.length} entries; at most ${this.limits.maxRecipients} are allowed`,
        });
      } else {
        const ok = list.every((u, i) =>
          checkString(u, f(`userIds[${i}]`), USER_ID_PATTERN, 'a user id', problems),
        );
        if (ok) userIds = [...new Set(list as string[])];
      }
    } else if (raw.broadcast !== true) {
      problems.push({ field: f('broadcast'), message: 'must be true when given' });
    }

    let channel = DEFAULT_CHANNEL;
    if (raw.channel !== undefined) {
      const form =
        'a channel name: 1-64 of letters, digits and ._:- starting with a letter or digit';
      if (checkString(raw.channel, f('channel'), CHANNEL_PATTERN, form, problems))
        channel = raw.channel;
    }

    const typeForm =
      'an event type: 1-128 of letters, digits and ._:/- starting with a letter or digit';
    checkString(raw.type, f('type'), TYPE_PATTERN, typeForm, problems);

    let payloadJson = 'null';
    if (raw.payload !== undefined) {
      try {
        payloadJson = JSON.stringify(raw.payload);
      } catch {
        problems.push({ field: f('payload'), message: 'must be serialisable JSON' });
      }
      // UTF-8 takes at most 3 bytes per UTF-16 unit: most payloads need no count at all.
      const bytes =
        payloadJson.length * 3 <= this.limits.payloadMaxBytes ? 0 : Buffer.byteLength(payloadJson);
      if (bytes > this.limits.payloadMaxBytes) {
        problems.push({
          field: f('payload'),
          message: `is ${bytes} bytes as JSON; at most ${this.limits.payloadMaxBytes} are allowed`,
        });
      }
    }

    let dedupeKey: string | undefined;
    if (raw.id !== undefined) {
      const form = 'an idempotency key: 1-200 printable ASCII characters without spaces';
      if (checkString(raw.id, f('id'), DEDUPE_KEY_PATTERN, form, problems)) dedupeKey = raw.id;
    }

    let ttlSeconds: number | undefined;
    if (raw.ttlSeconds !== undefined) {
      const t = raw.ttlSeconds;
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_TTL_SECONDS) {
        problems.push({
          field: f('ttlSeconds'),
          message: `must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`,
        });
      } else ttlSeconds = t;
    }

    if (problems.length) return { ok: false, problems };
    const value: { -readonly [K in keyof NotificationInput]: NotificationInput[K] } = {
      userIds,
      channel,
      type: raw.type as string,
      payloadJson,
    };
    if (dedupeKey !== undefined) value.dedupeKey = dedupeKey;
    if (ttlSeconds !== undefined) value.ttlSeconds = ttlSeconds;
    return { ok: true, value };
  }

  /** Decodes a batch all or nothing: one bad item rejects the batch, with every problem listed. */
  decodeBatch(raw: unknown[]): DecodeResult[] {
    return raw.map((item, i) => this.decode(item, raw.length > 1 ? `[${i}].` : ''));
  }
}
