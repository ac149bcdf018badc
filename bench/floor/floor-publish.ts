import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The publish half both floor servers share: the same batch body as the service
 * (`POST /v1/notifications`, an object or an array), numbered and encoded once per notification,
 * with no validation, no auth and no history: the least any Node service does per message.
 */
export interface FloorItem {
  readonly userId?: string;
  readonly broadcast?: boolean;
  readonly channel?: string;
  readonly type: string;
  readonly payload: unknown;
}

const epoch = Date.now().toString(36);
let seq = 0;

export function handlePublish(
  req: IncomingMessage,
  res: ServerResponse,
  deliver: (item: FloorItem, id: string, data: string) => void,
): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as FloorItem | FloorItem[];
    const items = Array.isArray(body) ? body : [body];
    const ids: string[] = [];
    const createdAt = new Date().toISOString();
    for (const item of items) {
      const id = `${epoch}-${(++seq).toString(36)}`;
      const data =
        `{"id":"${id}","channel":${JSON.stringify(item.channel ?? 'default')},` +
        `"type":${JSON.stringify(item.type)},"payload":${JSON.stringify(item.payload)},` +
        `"createdAt":"${createdAt}"}`;
      deliver(item, id, data);
      ids.push(`{"id":"${id}","duplicate":false}`);
    }
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end(`{"results":[${ids.join(',')}]}`);
  });
}

/** The user a floor connection belongs to: the bench names it in `?u=` (the floor checks no token). */
export function floorUser(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://floor').searchParams.get('u') ?? 'anonymous';
}

export function listen(server: import('node:http').Server): void {
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
}
