import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { StoreUnavailableError } from '../history/store-unavailable.error.js';
import { bodyRefusal } from './body-error.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  [extra: string]: unknown;
}

/**
 * Every error leaves as one JSON shape: `{statusCode, error, message, ...details}`. Unknown errors
 * are logged and answered 500 without their message, which may carry internals.
 */
@Catch()
export class JsonExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<ServerResponse>(), exception);
  }
}

const logger = new Logger('Errors');

/** Answers `exception` in the shared JSON shape; also used by routes that run outside Nest. */
export function sendError(res: ServerResponse, exception: unknown): void {
  const body = errorBody(exception);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = body.statusCode;
  if (exception instanceof StoreUnavailableError) {
    res.setHeader('Retry-After', String(exception.retryAfterSeconds));
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  if (body.statusCode === 401) res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
  res.end(JSON.stringify(body));
}

function errorBody(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) return httpErrorBody(exception);
  if (exception instanceof StoreUnavailableError) {
    return {
      statusCode: 503,
      error: 'unavailable',
      message: 'notifications cannot be stored right now; nothing was stored, retry later',
    };
  }
  const known = bodyRefusal(exception);
  if (known) return { statusCode: known.status, error: known.error, message: known.message };
  logger.error(exception instanceof Error ? exception.stack : String(exception));
  return { statusCode: 500, error: 'internal_error', message: 'internal server error' };
}

/** The JSON body of an HttpException; also used for WebSocket upgrades refused before Nest runs. */
export function httpErrorBody(exception: HttpException): ErrorBody {
  const status = exception.getStatus();
  const r = exception.getResponse();
  const details = typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : {};
  // Nest's own exceptions say `error: "Bad Request"`; ours say `bad_request`: one form out.
  const error = String(details.error ?? HttpStatus[status] ?? 'error')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');
  return {
    ...details,
    statusCode: status,
    error,
    message: typeof r === 'string' ? r : exception.message,
  };
}
