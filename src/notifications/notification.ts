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
  readonly ttlSeconds?: number;
}

/**
 * A notification with its service-assigned position. Immutable; the encodings every transport
 * needs are built once, on first use, and shared by all connections.
 */
export class StoredNotification {
  private _json?: string;
  private _sseFrame?: string;

  constructor(
    /** Position in the service-wide sequence: strictly increasing for every user. */
    readonly seq: number,
    /** Opaque event id (the resume cursor), derived from the epoch and `seq`. */
    readonly id: string,
    readonly userIds: readonly string[] | null,
    readonly channel: string,
    readonly type: string,
    readonly payloadJson: string,
    /** Milliseconds since the epoch. */
    readonly createdAt: number,
    /** Milliseconds since the epoch after which it is neither replayed nor delivered; 0 = never. */
    readonly expiresAt: number,
  ) {}

  /** The `data` object every transport carries, as JSON text. */
  get json(): string {
    return (this._json ??=
      `{"id":"${this.id}","channel":${JSON.stringify(this.channel)},"type":${JSON.stringify(this.type)},` +
      `"payload":${this.payloadJson},"createdAt":"${new Date(this.createdAt).toISOString()}"}`);
  }

  /** The whole SSE event, written as-is to every connection (no field can hold a line break). */
  get sseFrame(): string {
    return (this._sseFrame ??= `event: notification\nid: ${this.id}\ndata: ${this.json}\n\n`);
  }
}
