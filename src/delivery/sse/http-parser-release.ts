import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

interface HttpParser {
  _consumed?: boolean;
  unconsume(): void;
  finish(): unknown;
}

type FreeParser = (parser: HttpParser, req: IncomingMessage, socket: Socket) => void;
type Listener = (...args: unknown[]) => void;

/** The listeners Node's HTTP server puts on every connection (lib/_http_server.js), by name. */
const SERVER_LISTENERS = [
  ['data', 'bound socketOnData'],
  ['end', 'bound socketOnEnd'],
  ['close', 'bound socketOnClose'],
  ['drain', 'bound socketOnDrain'],
  ['error', 'socketOnError'],
  ['timeout', 'socketOnTimeout'],
  ['resume', 'onSocketResume'],
  ['pause', 'onSocketPause'],
] as const;

const freeParser = ((): FreeParser | undefined => {
  try {
    const found: unknown = (
      createRequire(import.meta.url)('_http_common') as Record<string, unknown>
    ).freeParser;
    return typeof found === 'function' ? (found as FreeParser) : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * An SSE stream holds its connection for hours and never reads another request on it, yet Node
 * keeps the connection's HTTP parser (llhttp's state and header buffers: about 6 KB of RSS per
 * connection, bench/RESULTS.md) and the server's listeners bound to it. Once the stream's headers
 * are out, this lets go of them the way Node itself does when it hands a connection over for an
 * upgrade (WebSocket): listeners off, parser unconsumed and freed, the connection out of the
 * server's request-timeout list. The socket is still read, only to notice the client leaving:
 * bytes a client sends after its request are dropped (an SSE client sends none), its end or
 * error closes the socket, and the response's own 'close' follows as before.
 *
 * Node's internals are found by name; where a Node version differs in any of them, nothing is
 * touched and the connection keeps its parser. Returns whether the parser was released.
 */
export function releaseHttpParser(req: IncomingMessage): boolean {
  const socket = req.socket as Socket & { parser?: HttpParser | null };
  const parser = socket.parser;
  if (!freeParser || !parser || typeof parser.unconsume !== 'function') return false;
  const found: [string, Listener][] = [];
  for (const [event, name] of SERVER_LISTENERS) {
    const listener = (socket.listeners(event) as Listener[]).find((l) => l.name === name);
    if (!listener) return false;
    found.push([event, listener]);
  }
  for (const [event, listener] of found) socket.removeListener(event, listener);
  if (parser._consumed) parser.unconsume();
  parser._consumed = false;
  parser.finish();
  freeParser(parser, req, socket);
  socket.on('end', destroySocket);
  socket.on('error', destroySocket);
  socket.resume();
  return true;
}

// Shared by every released socket (the socket is `this`), so none holds a closure for it.
function destroySocket(this: Socket): void {
  this.destroy();
}
