import { describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accessLog } from './access-log.middleware.js';
import type { LogLevel } from './json.logger.js';
import { currentLogContext } from './log-context.js';

/** The parts of a request/response pair the middleware touches. */
function exchange(url: string, headers: Record<string, string> = {}) {
  const req = { url, method: 'GET', headers } as unknown as IncomingMessage;
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    writableFinished: true,
    headers: {} as Record<string, unknown>,
    setHeader(name: string, value: unknown) {
      this.headers[name.toLowerCase()] = value;
    },
  });
  return { req, res, asRes: res as unknown as ServerResponse };
}

function run(level: LogLevel, url: string, headers?: Record<string, string>) {
  const lines: { level: string; entry: Record<string, unknown> }[] = [];
  const logger = {
    log: (entry: Record<string, unknown>) => lines.push({ level: 'info', entry }),
    debug: (entry: Record<string, unknown>) => lines.push({ level: 'debug', entry }),
  } as unknown as LoggerService;
  const { req, res, asRes } = exchange(url, headers);
  let context: ReturnType<typeof currentLogContext>;
  accessLog(level, logger as never)(req, asRes, () => (context = currentLogContext()));
  const listeners = res.listenerCount('close');
  res.emit('close');
  return { lines, listeners, context, res };
}

describe('accessLog', () => {
  it('writes one line at close, with the token in the query redacted', () => {
    const { lines, context, res } = run('info', '/v1/stream?access_token=secret.jwt.value&x=1');
    expect(lines).toEqual([
      {
        level: 'info',
        entry: expect.objectContaining({
          msg: 'request',
          method: 'GET',
          url: '/v1/stream?access_token=[REDACTED]&x=1',
          status: 200,
          aborted: false,
        }),
      },
    ]);
    const reqId = res.headers['x-request-id'];
    expect(reqId).toMatch(/^[\w-]{12}-[0-9a-z]+$/);
    expect(lines[0].entry.reqId).toBe(reqId);
    expect(context?.reqId).toBe(reqId);
  });

  it('keeps a sane incoming request id and replaces one that is not', () => {
    expect(run('info', '/x', { 'x-request-id': 'edge-1' }).res.headers['x-request-id']).toBe(
      'edge-1',
    );
    expect(run('info', '/x', { 'x-request-id': 'bad id!' }).res.headers['x-request-id']).toMatch(
      /^[\w-]{12}-[0-9a-z]+$/,
    );
  });

  it('logs probes and scrapes at debug, and only when debug is on', () => {
    expect(run('debug', '/health/ready').lines).toEqual([
      { level: 'debug', entry: expect.objectContaining({ url: '/health/ready' }) },
    ]);
    const atInfo = run('info', '/metrics');
    expect(atInfo.lines).toEqual([]);
    expect(atInfo.listeners).toBe(0);
  });

  it('prepares no line at a level that drops it, but still ids the request', () => {
    const { lines, listeners, context, res } = run('warn', '/v1/notifications');
    expect(lines).toEqual([]);
    expect(listeners).toBe(0);
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{12}-[0-9a-z]+$/);
    expect(context?.reqId).toBe(res.headers['x-request-id']);
  });
});
