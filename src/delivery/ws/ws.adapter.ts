import {
  BadRequestException,
  HttpException,
  Logger,
  NotFoundException,
  type INestApplicationContext,
} from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { httpErrorBody } from '../../common/http-exception.filter.js';
import type { AppConfig } from '../../config/app-config.js';
import { WsUpgradeAdmission } from './ws-upgrade.admission.js';

/** A gateway's server as Nest registers it: `path` is normalised like a URL's pathname. */
type PathServer = WebSocketServer & { readonly path: string };

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Nest's `ws` adapter with the service's limits: frames over WS_MAX_PAYLOAD close the socket with
 * 1009 (the library default would accept 100 MiB), and every upgrade passes WsUpgradeAdmission
 * before the handshake. An upgrade to any other path is answered 404 (a malformed target 400) with
 * the service's JSON error body, where Nest's adapter drops the connection without a word.
 */
export class NotificationWsAdapter extends WsAdapter {
  private readonly quietLogger = new Logger('WebSocket');
  private upgrades?: { server: Server; listener: UpgradeListener };

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

  /** Takes over Nest's upgrade listener on the HTTP server, to answer the paths it would drop. */
  protected override ensureHttpServerExists(port: number, httpServer?: Server): Server | undefined {
    const others = new Set(httpServer?.listeners('upgrade'));
    const server = super.ensureHttpServerExists(port, httpServer);
    if (!server) return server;
    for (const l of server.listeners('upgrade'))
      if (!others.has(l)) server.off('upgrade', l as never);
    const listener: UpgradeListener = (req, socket, head) => {
      const path = upgradePath(req.url);
      if (path === undefined) {
        refuseUpgrade(socket, new BadRequestException('malformed request target'));
        return;
      }
      const servers = (this.wsServersRegistry.get(port) ?? []) as PathServer[];
      const wss = servers.find((s) => s.path === path);
      if (!wss) {
        const endpoints = servers.map((s) => s.path).join(', ');
        refuseUpgrade(
          socket,
          new NotFoundException({
            error: 'not_found',
            message: `no WebSocket endpoint at this path (WebSocket endpoints: ${endpoints})`,
          }),
        );
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    };
    server.on('upgrade', listener);
    this.upgrades = { server, listener };
    return server;
  }

  override async dispose(): Promise<void> {
    this.upgrades?.server.off('upgrade', this.upgrades.listener);
    this.upgrades = undefined;
    await super.dispose();
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

/** The path of an upgrade's request target, normalised as Nest matches it; undefined if malformed. */
function upgradePath(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '', 'ws://localhost/').pathname;
  } catch {
    return undefined;
  }
}

/** Answers an upgrade that will not happen with an HTTP status and the JSON error body. */
function refuseUpgrade(socket: Duplex, exception: HttpException): void {
  const status = exception.getStatus();
  const body = JSON.stringify(httpErrorBody(exception));
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
      `Content-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
