import { Logger, type INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { AppConfig } from '../../config/app-config.js';
import { WsUpgradeAdmission } from './ws-upgrade.admission.js';

/**
 * Nest's `ws` adapter with the service's limits: frames over WS_MAX_PAYLOAD close the socket with
 * 1009 (the library default would accept 100 MiB), and every upgrade passes WsUpgradeAdmission
 * before the handshake.
 */
export class NotificationWsAdapter extends WsAdapter {
  private readonly quietLogger = new Logger('WebSocket');

  constructor(
    private readonly app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> = {}): WebSocketServer {
    const admission = this.app.get(WsUpgradeAdmission);
    return super.create(port, {
      ...options,
      maxPayload: this.config.WS_MAX_PAYLOAD,
      perMessageDeflate: false,
      verifyClient: admission.verifyClient,
      // The gateway tracks its sockets itself; ws's own set costs each one a close listener.
      clientTracking: false,
    }) as WebSocketServer;
  }

  /** Sessions read their own frames: the protocol answers bad frames, Nest would drop them. */
  override bindMessageHandlers(): void {}

  /** The gateway has no disconnect hook: the session ends on the socket's own close. */
  override bindClientDisconnect(): void {}

  /**
   * A client's protocol error (oversize frame, bad UTF-8) is its own problem and already closes
   * its socket with the right code; logging it as an error would let clients flood the log.
   */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    const logger = this.quietLogger;
    const onError = (err: Error) => logger.debug(`client socket: ${err.message}`);
    server.on('connection', (ws: WebSocket) => ws.on('error', onError));
    server.on('error', (err) => this.quietLogger.error(err));
    return server;
  }
}
