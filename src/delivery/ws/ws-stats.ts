import type { WsCloseCause } from './ws-session.js';

/** Counters for the WebSocket transport, read by whoever exports metrics. */
export class WsStats {
  /** Upgrades refused before the handshake, by HTTP status. */
  readonly refused = new Map<number, number>();
  /** Sockets the server closed on its own initiative, by cause. */
  readonly closedBy: Record<WsCloseCause, number> = {
    slow_consumer: 0,
    flooding: 0,
    pong_timeout: 0,
    token_expired: 0,
  };
  accepted = 0;
  open = 0;

  countRefusal(status: number): void {
    this.refused.set(status, (this.refused.get(status) ?? 0) + 1);
  }
}
