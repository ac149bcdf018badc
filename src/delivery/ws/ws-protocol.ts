import { parseEventId, type Cursor } from '../../cursor/event-id.js';
import type { StoredNotification } from '../../notifications/notification.js';
import { CHANNEL_PATTERN } from '../../notifications/notification.codec.js';
import { MAX_CHANNELS_PER_CONNECTION } from '../stream-query.js';

/** Close codes the gateway uses besides the standard ones; documented in docs/protocol.md. */
export const WsClose = {
  /** Standard: the server is restarting or draining; reconnect (elsewhere) and resume. */
  serviceRestart: 1012,
  /** Standard: the client could not keep up; reconnect and resume by cursor. */
  tryAgainLater: 1013,
  /** Standard: persistent flooding. */
  policyViolation: 1008,
  /** Standard: the stream failed on the server side. */
  internalError: 1011,
  /** Private range: the access token expired; re-authenticate and resume by cursor. */
  tokenExpired: 4401,
} as const;

export type ErrorCode =
  'bad_frame' | 'unknown_event' | 'bad_request' | 'rate_limited' | 'internal_error';

export type ClientMessage =
  | {
      readonly event: 'subscribe';
      readonly channels: readonly string[];
      readonly after: Cursor | null;
    }
  | { readonly event: 'unsubscribe'; readonly channels: readonly string[] }
  | { readonly event: 'ping'; readonly data: unknown };

export type DecodedFrame =
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

const fail = (code: ErrorCode, message: string): DecodedFrame => ({ ok: false, code, message });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Client → server: one JSON text frame, `{"event": ..., "data": ...}`. Never throws. */
export function decodeClientFrame(data: Buffer | string, isBinary: boolean): DecodedFrame {
  if (isBinary) return fail('bad_frame', 'binary frames are not supported; send JSON text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString());
  } catch {
    return fail('bad_frame', 'the frame is not valid JSON');
  }
  if (!isObject(parsed) || typeof parsed.event !== 'string') {
    return fail('bad_frame', 'a frame is a JSON object {"event": string, "data": ...}');
  }
  const body = parsed.data;
  switch (parsed.event) {
    case 'ping':
      return { ok: true, message: { event: 'ping', data: body ?? null } };
    case 'subscribe':
    case 'unsubscribe': {
      if (!isObject(body)) return fail('bad_request', `${parsed.event}: data must be an object`);
      const channels = body.channels;
      if (
        !Array.isArray(channels) ||
        channels.length === 0 ||
        channels.length > MAX_CHANNELS_PER_CONNECTION ||
        !channels.every((c) => typeof c === 'string' && CHANNEL_PATTERN.test(c))
      ) {
        return fail(
          'bad_request',
          `${parsed.event}: data.channels must be a list of 1 to ${MAX_CHANNELS_PER_CONNECTION} channel names`,
        );
      }
      if (parsed.event === 'unsubscribe') {
        return { ok: true, message: { event: 'unsubscribe', channels } };
      }
      let after: Cursor | null = null;
      if (body.lastEventId !== undefined && body.lastEventId !== null) {
        after = typeof body.lastEventId === 'string' ? parseEventId(body.lastEventId) : null;
        if (!after) {
          return fail(
            'bad_request',
            'subscribe: data.lastEventId must be an event id this service issued',
          );
        }
      }
      return { ok: true, message: { event: 'subscribe', channels, after } };
    }
    default:
      return fail('unknown_event', 'unknown event; expected one of subscribe, unsubscribe, ping');
  }
}

/** Server → client `notification` frame, whole (header and text): encoded once for every socket. */
export function notificationFrame(n: StoredNotification): Buffer {
  return n.wsFrame;
}

export function resetFrame(id: string): string {
  return JSON.stringify({ event: 'reset', data: { id, reason: 'cursor_unavailable' } });
}

export function subscribedFrame(channels: Iterable<string>, id: string): string {
  return JSON.stringify({ event: 'subscribed', data: { channels: [...channels], id } });
}

export function unsubscribedFrame(channels: Iterable<string>): string {
  return JSON.stringify({ event: 'unsubscribed', data: { channels: [...channels] } });
}

export function pongFrame(data: unknown): string {
  return JSON.stringify({ event: 'pong', data });
}

export function errorFrame(code: ErrorCode, message: string): string {
  return JSON.stringify({ event: 'error', data: { code, message } });
}
