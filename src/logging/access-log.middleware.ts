import { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findPrincipal } from '../auth/jwt-auth.guard.js';
import { redactUrl } from '../auth/token-extractor.js';
import { levelEnabled, type LogLevel } from './json.logger.js';
import { withLogContext } from './log-context.js';
import { requestIdSource } from './request-id.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** Probes and scrapes come every few seconds: logged at debug so they do not drown the rest. */
const QUIET = /^\/(?:health\/|metrics(?:$|\?))/;
/** One sequence for the process, whichever route numbers the request. */
const newRequestId = requestIdSource();

/**
 * Gives each request an id (a sane incoming `X-Request-Id` is kept, and echoed back), runs the
 * rest of the request inside a log context carrying it, and writes one access line when the
 * response closes: for a stream that is when the connection ends, so `durationMs` is its lifetime.
 * At a LOG_LEVEL that would drop the line, nothing is prepared for it: a publish request is
 * otherwise a few microseconds of work for a line nobody writes.
 */
export function accessLog(level: LogLevel, logger = new Logger('Access')) {
  const lines = levelEnabled(level, 'info');
  const quietLines = levelEnabled(level, 'debug');
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const incoming = req.headers['x-request-id'];
    const reqId =
      typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : newRequestId();
    res.setHeader('X-Request-Id', reqId);
    const rawUrl = req.url ?? '';
    // Debug on implies info on: below info there is nothing to test the URL for.
    const quiet = lines && QUIET.test(rawUrl);
    if (lines && (!quiet || quietLines)) {
      const started = performance.now();
      res.once('close', () => {
        const entry = {
          msg: 'request',
          method: req.method,
          url: redactUrl(rawUrl),
          status: res.statusCode,
          durationMs: Math.round(performance.now() - started),
          aborted: !res.writableFinished,
          reqId,
          userId: findPrincipal(req)?.userId,
        };
        if (quiet) logger.debug(entry);
        else logger.log(entry);
      });
    }
    withLogContext({ reqId, req }, next);
  };
}
