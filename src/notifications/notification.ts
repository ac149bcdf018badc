import { formatEventId } from '../cursor/event-id.js';

/** A notification accepted by the codec, before the service gives it an id. */
export interface NotificationInput {
  /** Recipients; `null` means broadcast to every user. */
  readonly userIds: readonly string[] | null;
  readonly channel: string;
  readonly type: string;
  /** The payload as JSON text, serialised once by the codec and reused for every delivery. */
  readonly payloadJson: string;
  /** Producer idempotency key. */
  readonly dedupeKey?: string;
  /** Where a record without a producer key sits in its ordered log (a Kafka partition). */
  readonly logPosition?: LogPosition;
  readonly ttlSeconds?: number;
}

/**
 * A record's place in an ordered log. A log is read in offset order and re-read only from an
 * earlier committed offset, so a record at or just below the highest offset already accepted from
 * its log is a redelivery: one mark per log recognises it, where a key per record cost the
 * dedupe window an entry (and Redis a key) for every record ever consumed.
 */
export interface LogPosition {
  readonly log: string;
  readonly offset: number;
}

/**
 * A notification with its service-assigned position. Immutable; the encodings every transport
 * needs (and its id as text) are built once, on first use, and shared by all connections.
 */
export class StoredNotification {
  private _id?: string;
  private _json?: string;
  private _sseChunk?: string;
  private _wsFrame?: Buffer;

  constructor(
    /** Position in the service-wide sequence: strictly increasing for every user. */
    readonly seq: number,
    /** The life of the sequence `seq` belongs to (see cursor/event-id.ts). */
    readonly epoch: string,
    readonly userIds: readonly string[] | null,
    readonly channel: string,
    readonly type: string,
    readonly payloadJson: string,
    /** Milliseconds since the epoch. */
    readonly createdAt: number,
    /** Milliseconds since the epoch after which it is neither replayed nor delivered; 0 = never. */
    readonly expiresAt: number,
  ) {}

  /** Opaque event id (the resume cursor), derived from the epoch and `seq`. */
  get id(): string {
    return (this._id ??= formatEventId(this.epoch, this.seq));
  }

  /**
   * The `data` object every transport carries, as JSON text. The id, channel and type match the
   * codec's patterns, none of which admits a character JSON would escape.
   */
  get json(): string {
    return (this._json ??=
      `{"id":"${this.id}","channel":"${this.channel}","type":"${this.type}",` +
      `"payload":${this.payloadJson},"createdAt":"${isoTime(this.createdAt)}"}`);
  }

  /** The whole SSE event (no field can hold a line break). */
  get sseEvent(): string {
    return `event: notification\nid: ${this.id}\ndata: ${this.json}\n\n`;
  }

  /** The SSE event as one HTTP/1.1 chunk of a stream's body, written as-is to every socket. */
  get sseChunk(): string {
    return (this._sseChunk ??= httpChunk(this.sseEvent));
  }

  /**
   * Drops the cached encodings (and the id's text) once live delivery is done. History retains a
   * notification for a day; with its encodings it held its payload three times over, and every
   * object it keeps is one more the GC copies out of the young generation and marks in the old.
   * A replay builds them again.
   */
  releaseEncodings(): void {
    this._id = undefined;
    this._json = undefined;
    this._sseChunk = undefined;
    this._wsFrame = undefined;
  }

  /**
   * The WebSocket `notification` message as the complete frame on the wire, written as-is to
   * every recipient's socket, so no socket frames it again.
   */
  get wsFrame(): Buffer {
    return (this._wsFrame ??= wsTextFrame(`{"event":"notification","data":${this.json}}`));
  }
}

/**
 * `text` as one final, unmasked WebSocket text frame (RFC 6455 §5.2), the way a server sends it
 * without extensions (permessage-deflate is off).
 */
export function wsTextFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const head = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + length);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (head === 2) frame[1] = length;
  else if (head === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(text, head);
  return frame;
}

/** `text` framed as one chunk of a `Transfer-Encoding: chunked` body. */
export function httpChunk(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}

// A batch is stamped with one time: its notifications share the formatted string.
let lastTime = NaN;
let lastIso = '';

function isoTime(ms: number): string {
  if (ms !== lastTime) {
    lastIso = new Date(ms).toISOString();
    lastTime = ms;
  }
  return lastIso;
}
