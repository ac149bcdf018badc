import type { IncomingMessage, Server, ServerResponse } from 'node:http';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Serves one method and path on `server` ahead of its other request listeners (Express, and Nest
 * behind it), which still get every other request. For a hot route whose per-request cost would
 * otherwise be mostly the framework's. The path matches as Express matches it: with or without a
 * trailing slash or a query, in any case.
 */
export function mountFrontRoute(
  server: Server,
  method: string,
  path: string,
  handle: RequestListener,
): void {
  const rest = server.listeners('request') as RequestListener[];
  const lowerPath = path.toLowerCase();
  server.removeAllListeners('request');
  server.on('request', function (this: Server, req: IncomingMessage, res: ServerResponse) {
    if (req.method === method && pathOf(req.url).toLowerCase() === lowerPath) handle(req, res);
    else for (const listener of rest) listener.call(this, req, res);
  });
}

function pathOf(url = ''): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
