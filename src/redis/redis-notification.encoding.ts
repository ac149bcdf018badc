import { StoredNotification } from '../notifications/notification.js';

/**
 * How a notification is kept in a Redis history stream and sent on pub/sub:
 * `seq|createdAt|expiresAt|channel|type|payloadJson`. The codec's patterns keep `|` out of every
 * field but the payload, which comes last, so one split per field decodes it; the Lua scripts read
 * `createdAt` the same way without parsing JSON. Recipients are not stored: a stream (or pub/sub
 * channel) belongs to one user, which is the recipient the reader needs.
 */
/** Decodes a stored member for `userId` (`null` for the broadcast stream). */
export function decodeMember(
  epoch: string,
  member: string,
  userId: string | null,
): StoredNotification {
  let at = 0;
  const next = () => {
    const bar = member.indexOf('|', at);
    const field = member.slice(at, bar);
    at = bar + 1;
    return field;
  };
  const seq = Number(next());
  const createdAt = Number(next());
  const expiresAt = Number(next());
  const channel = next();
  const type = next();
  return new StoredNotification(
    seq,
    epoch,
    userId === null ? null : [userId],
    channel,
    type,
    member.slice(at),
    createdAt,
    expiresAt,
  );
}

/** Pub/sub messages carry the epoch in front, so a subscriber needs no extra round trip. */
export function decodeMessage(message: string, userId: string | null): StoredNotification {
  const bar = message.indexOf('|');
  return decodeMember(message.slice(0, bar), message.slice(bar + 1), userId);
}
