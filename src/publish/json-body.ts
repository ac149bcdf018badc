import type { IncomingMessage } from 'node:http';
import { BodyError } from '../common/body-error.js';

/**
 * Reads a request's body as JSON: `application/json` (or `+json`) in UTF-8, not compressed, at
 * most `limit` bytes (a declared length over it is refused before a byte is read). Each refusal
 * is a `BodyError`, answered as body-parser's refusals are: 415, 413 or 400.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const problem = headerProblem(req, limit);
  if (problem) return Promise.reject(problem);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        reject(new BodyError('entity.too.large'));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      const text = chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString();
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new BodyError('entity.parse.failed'));
      }
    };
    const onGone = () => {
      stop();
      reject(new BodyError('request.aborted'));
    };
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onGone);
      req.off('error', onGone);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onGone);
    req.on('error', onGone);
  });
}

const MEDIA_TYPE = /^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

function headerProblem(req: IncomingMessage, limit: number): BodyError | undefined {
  const type = req.headers['content-type'] ?? '';
  // What nearly every publisher sends, told without the two regular expressions.
  if (type !== 'application/json') {
    if (!MEDIA_TYPE.test(type)) return new BodyError('entity.type.unsupported');
    const charset = CHARSET.exec(type)?.[1].toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      return new BodyError('charset.unsupported');
    }
  }
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity')
    return new BodyError('encoding.unsupported');
  if (Number(req.headers['content-length']) > limit) return new BodyError('entity.too.large');
  return undefined;
}
