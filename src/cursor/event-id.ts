/**
 * Event ids are the resume cursor on every transport: `<epoch>-<seq>` in base 36. The epoch names
 * one life of the sequence (a fresh in-memory store, a flushed Redis), so a cursor from another
 * life is recognised instead of being misread as a position in this one.
 */
export interface Cursor {
  readonly epoch: string;
  readonly seq: number;
}

const EVENT_ID_PATTERN = /^([a-z0-9]{1,16})-([a-z0-9]{1,11})$/;
export const MAX_EVENT_ID_LENGTH = 28;

export function formatEventId(epoch: string, seq: number): string {
  return `${epoch}-${seq.toString(36)}`;
}

/** Parses an event id; `null` when it is not one this service could have issued. */
export function parseEventId(id: string): Cursor | null {
  if (id.length > MAX_EVENT_ID_LENGTH) return null;
  const m = EVENT_ID_PATTERN.exec(id);
  if (!m) return null;
  const seq = parseInt(m[2], 36);
  if (!Number.isSafeInteger(seq)) return null;
  return { epoch: m[1], seq };
}

export function newEpoch(random: () => number = Math.random): string {
  // Time-prefixed so epochs sort roughly by creation, random-suffixed so two stores never collide.
  const t = Date.now().toString(36).slice(-6);
  const r = Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `${t}${r}`;
}
