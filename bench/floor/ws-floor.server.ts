import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { floorUser, handlePublish, listen } from './floor-publish.js';

/** The minimal `ws` server: the floor the service's WebSocket figures are compared with. */
const byUser = new Map<string, Set<WebSocket>>();
const all = new Set<WebSocket>();

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/v1/notifications') {
    handlePublish(req, res, (item, _id, data) => {
      const frame = `{"event":"notification","data":${data}}`;
      const targets = item.broadcast ? all : byUser.get(item.userId ?? '');
      if (targets) for (const ws of targets) ws.send(frame);
    });
    return;
  }
  res.writeHead(404).end();
});

const wss = new WebSocketServer({ server, path: '/v1/ws', maxPayload: 64 * 1024 });
wss.on('connection', (ws, req) => {
  const user = floorUser(req);
  let set = byUser.get(user);
  if (!set) byUser.set(user, (set = new Set()));
  set.add(ws);
  all.add(ws);
  // Any frame counts as the subscribe; the floor delivers every channel.
  ws.on('message', () => ws.send('{"event":"subscribed","data":{"channels":["bench"],"id":"0"}}'));
  ws.on('close', () => {
    all.delete(ws);
    set.delete(ws);
    if (set.size === 0) byUser.delete(user);
  });
});

// Protocol pings at the service's default interval, so idle sockets cost what they would in production.
setInterval(() => {
  for (const ws of all) ws.ping();
}, 25_000).unref();

listen(server);
