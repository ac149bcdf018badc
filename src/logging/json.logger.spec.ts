import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { JsonLogger } from './json.logger.js';
import { withLogContext } from './log-context.js';

const JWT =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

function capture(level: 'error' | 'warn' | 'info' | 'debug' | 'verbose' = 'verbose') {
  const lines: string[] = [];
  const logger = new JsonLogger(level, (l) => lines.push(l));
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l)) };
}

describe('JsonLogger', () => {
  it("takes Nest's trailing context argument and an error's stack", () => {
    const { logger, entries } = capture();
    logger.log('listening', 'Gateway');
    logger.error('failed', 'Error: failed\n    at x', 'Errors');
    logger.warn({ msg: 'slow', partition: 3 }, 'Kafka');
    logger.error('no stack', undefined, 'Errors');
    expect(entries()).toEqual([
      expect.objectContaining({ level: 'info', context: 'Gateway', msg: 'listening' }),
      expect.objectContaining({
        level: 'error',
        context: 'Errors',
        msg: 'failed',
        stack: 'Error: failed\n    at x',
      }),
      expect.objectContaining({ level: 'warn', context: 'Kafka', msg: 'slow', partition: 3 }),
      { level: 'error', time: expect.any(String), context: 'Errors', msg: 'no stack' },
    ]);
  });

  it('writes no extra field for the arguments Nest fills in itself (a message-only error)', () => {
    const { logger, lines } = capture();
    // Nest's Logger turns error(msg) into error(msg, undefined, context): the Kafka source logs so.
    Logger.overrideLogger(logger);
    const kafka = new Logger('Kafka');
    kafka.error('kafkajs Connection error: connect ECONNREFUSED');
    kafka.warn('kafkajs rebalancing');
    Logger.error('no context');
    logger.log('several', undefined, undefined, 'Ctx');
    logger.log('kept', { partition: 3 }, undefined, 'Ctx');
    expect(lines.map((l) => JSON.parse(l) as object)).toEqual([
      {
        level: 'error',
        time: expect.any(String),
        context: 'Kafka',
        msg: 'kafkajs Connection error: connect ECONNREFUSED',
      },
      { level: 'warn', time: expect.any(String), context: 'Kafka', msg: 'kafkajs rebalancing' },
      { level: 'error', time: expect.any(String), msg: 'no context' },
      { level: 'info', time: expect.any(String), context: 'Ctx', msg: 'several' },
      {
        level: 'info',
        time: expect.any(String),
        context: 'Ctx',
        msg: 'kept',
        extra: [{ partition: 3 }],
      },
    ]);
  });

  it('drops entries below LOG_LEVEL', () => {
    const { logger, entries } = capture('warn');
    logger.debug('d');
    logger.log('i');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    expect(entries().map((e) => e.level)).toEqual(['warn', 'error', 'fatal']);
  });

  it('tags entries with the request or connection context they were written in', () => {
    const { logger, entries } = capture();
    withLogContext({ connId: 'c-1', userId: 'alice' }, () => logger.log('opened', 'Ws'));
    logger.log('outside');
    expect(entries()[0]).toMatchObject({ connId: 'c-1', userId: 'alice', msg: 'opened' });
    expect(entries()[1]).not.toHaveProperty('connId');
  });

  it('masks credentials by key at any depth and by pattern in any text', () => {
    const { logger, lines, entries } = capture();
    logger.log({
      msg: 'upgrade',
      headers: { Authorization: `Bearer ${JWT}`, cookie: `access_token=${JWT}`, host: 'h' },
      nested: { token: 'opaque-1', password: 'hunter2' },
    });
    logger.warn(`GET /v1/notifications/ws?access_token=opaque-2&x=1 with bearer opaque-3`);
    logger.error(new Error(`verify failed for ${JWT}`));
    logger.log(`cookie header was "theme=dark; access_token=opaque-4"`);
    const out = lines.join('\n');
    for (const secret of [JWT, 'opaque-1', 'hunter2', 'opaque-2', 'opaque-3', 'opaque-4']) {
      expect(out).not.toContain(secret);
    }
    expect(entries()[0]).toMatchObject({
      headers: { Authorization: '[REDACTED]', cookie: '[REDACTED]', host: 'h' },
    });
    expect(entries()[1].msg).toBe(
      'GET /v1/notifications/ws?access_token=[REDACTED]&x=1 with bearer [REDACTED]',
    );
  });
});
