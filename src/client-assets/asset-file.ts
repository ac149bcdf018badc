import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

/**
 * What `npm run build:client` writes: dist/client/ beside the compiled server, found the same way
 * from src/client-assets (tests) and dist/client-assets (the built service).
 */
const ASSET_DIR = fileURLToPath(new URL('../../dist/client/', import.meta.url));

export const CONTENT_TYPES = {
  js: 'text/javascript; charset=utf-8',
  map: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
} as const;

/**
 * Sends a file of the built browser client. Read on each request (they are a few kilobytes) so a
 * rebuilt bundle is served without a restart; `no-cache` with an ETag makes browsers revalidate
 * the stable path cheaply instead of keeping a stale client.
 */
export async function sendAsset(
  req: IncomingMessage,
  res: ServerResponse,
  fileName: string,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(ASSET_DIR + fileName);
  } catch {
    res.statusCode = 404;
    res.setHeader('Content-Type', CONTENT_TYPES.map);
    res.end(
      JSON.stringify({
        statusCode: 404,
        error: 'not_found',
        message: `dist/client/${fileName} is missing: run npm run build:client`,
      }),
    );
    return;
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
