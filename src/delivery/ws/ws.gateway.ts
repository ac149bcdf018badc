import { Inject, Logger } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { APP_CONFIG, CLOCK } from '../../app.tokens.js';
import type { Clock } from '../../common/clock.js';
import type { AppConfig } from '../../config/app-config.js';
import { NotificationStreams } from '../../hub/notification-streams.js';
import { Metrics } from '../../metrics/metrics.service.js';
import { TurnWrites } from '../turn-writes.js';
import { WsSession, type WsSessionEvents, type WsSessionSettings } from './ws-session.js';
import { HeartbeatWheel } from '../heartbeat-wheel.js';
import { WsUpgradeAdmission } from './ws-upgrade.admission.js';
import { DrainCoordinator } from '../../lifecycle/drain-coordinator.js';

export const WS_PATH = '/v1/ws';

/**
 * The WebSocket transport: binds each admitted socket to a WsSession and tracks the open ones.
 * Admission (token, origin, caps) already happened before the upgrade.
 */
@WebSocketGateway({ path: WS_PATH })
export class WsGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger('WsGateway');
  private readonly sessions = new Map<WebSocket, WsSession>();
  private readonly settings: WsSessionSettings;
  private readonly heartbeats: HeartbeatWheel<WsSession>;
  // One listener of each kind for every socket (the socket is `this`): a socket holds no
  // closures of its own for as long as it is open.
  private readonly onMessage: (this: WebSocket, data: Buffer, isBinary: boolean) => void;
  private readonly onPong: (this: WebSocket) => void;
  private readonly onClose: (this: WebSocket) => void;

  constructor(
    private readonly admission: WsUpgradeAdmission,
    private readonly streams: NotificationStreams,
    private readonly metrics: Metrics,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    drain: DrainCoordinator,
  ) {
    // Close code 1012 (service restart): clients reconnect, spread over the drain window.
    drain.onDrain((spreadMs) => this.closeAll(1012, spreadMs));
    this.heartbeats = new HeartbeatWheel(config.WS_PING_INTERVAL_MS, (s) => s.heartbeat());
    this.settings = {
      pingIntervalMs: config.WS_PING_INTERVAL_MS,
      pongTimeoutMs: config.WS_PONG_TIMEOUT_MS,
      maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
      ratePerSecond: config.WS_RATE_LIMIT_PER_SECOND,
      rateBurst: config.WS_RATE_LIMIT_BURST,
      writes: new TurnWrites(),
    };
    const { sessions, heartbeats } = this;
    this.onMessage = function (data, isBinary) {
      sessions.get(this)?.onMessage(data, isBinary);
    };
    this.onPong = function () {
      sessions.get(this)?.onPong();
    };
    this.onClose = function () {
      const session = sessions.get(this);
      if (!session) return;
      sessions.delete(this);
      heartbeats.remove(session);
      session.dispose();
    };
  }

  private readonly sessionEvents: WsSessionEvents = {
    delivered: (n) => this.metrics.delivered('ws', n.createdAt),
    pinged: () => this.metrics.heartbeat('ws'),
    closedBy: (cause) => {
      if (cause === 'slow_consumer') this.metrics.slowClientDisconnected('ws');
      else this.logger.debug(`closed a socket: ${cause}`);
    },
  };

  afterInit(): void {
    this.logger.log(`WebSocket endpoint at ${WS_PATH}`);
  }

  handleConnection(ws: WebSocket, req: IncomingMessage): void {
    const admitted = this.admission.take(req);
    if (!admitted) {
      // The adapter admits every upgrade before the handshake; a socket without that is refused.
      ws.close(1011, 'not admitted');
      return;
    }
    const session = new WsSession(
      ws,
      req.socket,
      admitted.principal.userId,
      admitted.principal.expiresAt,
      this.streams,
      this.settings,
      this.clock,
      this.sessionEvents,
    );
    this.sessions.set(ws, session);
    this.heartbeats.add(session);
    ws.on('message', this.onMessage);
    ws.on('pong', this.onPong);
    ws.on('close', this.onClose);
  }

  /**
   * Closes every socket with `code`, spread evenly over `spreadMs` so the clients do not all
   * reconnect in the same instant (for the graceful drain). Resolves once all have closed: a client
   * that does not complete the closing handshake is cut off WS_PONG_TIMEOUT_MS after its turn.
   */
  async closeAll(code: number, spreadMs: number, reason = 'server shutting down'): Promise<void> {
    const open = [...this.sessions];
    const step = open.length > 1 ? spreadMs / (open.length - 1) : 0;
    await Promise.all(
      open.map(
        ([ws, session], i) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            ws.once('close', () => resolve());
            setTimeout(() => session.close(code, reason), Math.round(i * step));
          }),
      ),
    );
  }
}
