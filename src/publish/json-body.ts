import {
  BadRequestException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

/**
 * Reads a request's body as JSON: `application/json` (or `+json`) in UTF-8, not compressed, at
 * most `limit` bytes (a declared length over it is refused before a byte is read). Each refusal
 * is the shared error shape with its own status: 415, 413 or 400.
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
        reject(tooLarge());
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      const text = chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString();
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(
          new BadRequestException({ error: 'bad_request', message: 'the body is not valid JSON' }),
        );
      }
    };
    const onGone = () => {
      stop();
      reject(new BadRequestException({ error: 'bad_request', message: 'the body was cut short' }));
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

function headerProblem(req: IncomingMessage, limit: number): Error | undefined {
  const type = req.headers['content-type'] ?? '';
  if (!MEDIA_TYPE.test(type)) {
    return new UnsupportedMediaTypeException({
      error: 'unsupported_media_type',
      message: 'send the body as application/json',
    });
  }
  const charset = CHARSET.exec(type)?.[1].toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    return new UnsupportedMediaTypeException({
      error: 'unsupported_charset',
      message: 'send the body in UTF-8',
    });
  }
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') {
    return new UnsupportedMediaTypeException({
      error: 'unsupported_encoding',
      message: 'unsupported content encoding',
    });
  }
  if (Number(req.headers['content-length']) > limit) return tooLarge();
  return undefined;
}

function tooLarge(): PayloadTooLargeException {
  return new PayloadTooLargeException({
    error: 'payload_too_large',
    message: 'the body is larger than allowed',
  });
}
