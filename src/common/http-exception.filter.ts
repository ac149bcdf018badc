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

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  [extra: string]: unknown;
}

const BODY_PARSER_ERRORS: Record<string, { status: number; error: string; message: string }> = {
  'entity.parse.failed': {
    status: 400,
    error: 'bad_request',
    message: 'the body is not valid JSON',
  },
  'entity.too.large': {
    status: 413,
    error: 'payload_too_large',
    message: 'the body is larger than allowed',
  },
  'encoding.unsupported': {
    status: 415,
    error: 'unsupported_encoding',
    message: 'unsupported content encoding',
  },
};

/**
 * Every error leaves as one JSON shape: `{statusCode, error, message, ...details}`. Unknown errors
 * are logged and answered 500 without their message, which may carry internals.
 */
@Catch()
export class JsonExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ServerResponse>();
    const body = this.toBody(exception);
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

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const r = exception.getResponse();
      if (typeof r === 'object' && r !== null && 'error' in r) {
        return {
          statusCode: status,
          message: exception.message,
          ...(r as object),
          error: String((r as ErrorBody).error),
        } as ErrorBody;
      }
      return {
        statusCode: status,
        error: status === 404 ? 'not_found' : (HttpStatus[status]?.toLowerCase() ?? 'error'),
        message: typeof r === 'string' ? r : exception.message,
      };
    }
    if (exception instanceof StoreUnavailableError) {
      return {
        statusCode: 503,
        error: 'unavailable',
        message: 'notifications cannot be stored right now; nothing was stored, retry later',
      };
    }
    const type = (exception as { type?: string })?.type;
    const known = type ? BODY_PARSER_ERRORS[type] : undefined;
    if (known) return { statusCode: known.status, error: known.error, message: known.message };
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return { statusCode: 500, error: 'internal_error', message: 'internal server error' };
  }
}
