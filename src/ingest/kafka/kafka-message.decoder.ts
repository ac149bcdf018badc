import type { IHeaders } from 'kafkajs';
import type { NotificationInput } from '../../notifications/notification.js';
import {
  DEDUPE_KEY_PATTERN,
  type NotificationCodec,
} from '../../notifications/notification.codec.js';
import type { DeadLetterReason } from './kafka-source.stats.js';

/** The header a producer may carry its idempotency key in, when the JSON has no `id`. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
const ERROR_MAX_CHARS = 1000;

export interface RawKafkaMessage {
  readonly value: Buffer | null;
  readonly offset: string;
  readonly headers?: IHeaders;
}

export type DecodedMessage =
  | { readonly ok: true; readonly input: NotificationInput }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly error: string };

// fatal: invalid UTF-8 is poison, not text with replacement characters.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}

/**
 * Turns one Kafka record into a notification input, or says why it is poison. Every input can be
 * recognised when it comes again: by a dedupe key (the producer's `id`, else its idempotency
 * header), else by its position in `log` (its topic and partition), so a redelivered record
 * reaches no client twice.
 */
export function decodeKafkaMessage(
  codec: NotificationCodec,
  log: string,
  message: RawKafkaMessage,
  maxBytes: number,
): DecodedMessage {
  const { value } = message;
  if (value === null || value.length === 0) {
    return { ok: false, reason: 'not_json', error: 'empty value' };
  }
  if (value.length > maxBytes) {
    return {
      ok: false,
      reason: 'too_large',
      error: `value is ${value.length} bytes; at most ${maxBytes} are allowed`,
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(value));
  } catch (err) {
    return {
      ok: false,
      reason: 'not_json',
      error: (err as Error).message.slice(0, ERROR_MAX_CHARS),
    };
  }
  const decoded = codec.decode(raw);
  if (!decoded.ok) {
    const error = decoded.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    return { ok: false, reason: 'invalid', error: error.slice(0, ERROR_MAX_CHARS) };
  }
  if (decoded.value.dedupeKey !== undefined) return { ok: true, input: decoded.value };
  const key = header(message.headers, IDEMPOTENCY_HEADER);
  if (key !== undefined && !DEDUPE_KEY_PATTERN.test(key)) {
    return {
      ok: false,
      reason: 'invalid',
      error: `${IDEMPOTENCY_HEADER} header: must be 1-200 printable ASCII characters without spaces`,
    };
  }
  return {
    ok: true,
    input:
      key !== undefined
        ? { ...decoded.value, dedupeKey: key }
        : { ...decoded.value, logPosition: { log, offset: Number(message.offset) } },
  };
}
