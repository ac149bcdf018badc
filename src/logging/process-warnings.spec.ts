import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { logProcessWarnings } from './process-warnings.js';

function setUp() {
  const proc = new EventEmitter();
  const printed: Error[] = [];
  // Stands in for Node's own listener, which prints to stderr.
  proc.on('warning', (w: Error) => printed.push(w));
  const lines: { level: string; entry: unknown }[] = [];
  logProcessWarnings(proc, {
    warn: (entry) => lines.push({ level: 'warn', entry }),
    debug: (entry) => lines.push({ level: 'debug', entry }),
  });
  return { proc, printed, lines };
}

const warning = (name: string, message: string, stack: string, code?: string) =>
  Object.assign(new Error(message), { name, stack, code });

describe('logProcessWarnings', () => {
  it('logs a warning with its name and code, and Node no longer prints it', () => {
    const { proc, printed, lines } = setUp();
    proc.emit(
      'warning',
      warning('DeprecationWarning', 'Buffer() is deprecated', 'at x (/app/a.js:1:1)', 'DEP0005'),
    );
    expect(printed).toEqual([]);
    expect(lines).toEqual([
      {
        level: 'warn',
        entry: {
          msg: 'process warning: Buffer() is deprecated',
          warning: 'DeprecationWarning',
          code: 'DEP0005',
        },
      },
    ]);
  });

  it("keeps kafkajs's negative timeout at debug, and the same warning from anywhere else at warn", () => {
    const { proc, lines } = setUp();
    const kafkajs =
      'at setTimeout\n at RequestQueue (/app/node_modules/kafkajs/src/network/x.js:1:1)';
    proc.emit('warning', warning('TimeoutNegativeWarning', '-1 is a negative number.', kafkajs));
    proc.emit(
      'warning',
      warning('TimeoutNegativeWarning', '-5 is a negative number.', 'at /app/dist/y.js'),
    );
    expect(lines.map((l) => l.level)).toEqual(['debug', 'warn']);
  });
});
