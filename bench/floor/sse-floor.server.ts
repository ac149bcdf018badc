import { createServer, type ServerResponse } from 'node:http';
import { floorUser, handlePublish, listen } from './floor-publish.js';

/** The minimal node:http SSE server: the floor the service's SSE figures are compared with. */
const byUser = new Map<string, Set<ServerResponse>>();
const all = new Set<ServerResponse>();

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/v1/notifications') {
    handlePublish(req, res, (item, id, data) => {
      const frame = `id: ${id}\nevent: notification\ndata: ${data}\n\n`;
      const targets = item.broadcast ? all : byUser.get(item.userId ?? '');
      if (targets) for (const r of targets) r.write(frame);
    });
    return;
  }
  if (req.method === 'GET' && req.url?.startsWith('/v1/notifications/stream')) {
    const user = floorUser(req);
    let set = byUser.get(user);
    if (!set) byUser.set(user, (set = new Set()));
    set.add(res);
    all.add(res);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write('retry: 3000\nid: 0\n\n');
    res.on('close', () => {
      all.delete(res);
      set.delete(res);
      if (set.size === 0) byUser.delete(user);
    });
    return;
  }
  res.writeHead(404).end();
});

// One timer for every connection: the heartbeat a real SSE service needs, at the service's default.
setInterval(() => {
  for (const r of all) r.write(': heartbeat\n\n');
}, 15_000).unref();

listen(server);
