import { describe, expect, it } from '@jest/globals';
import { ReadinessChecks } from './readiness-checks.js';

describe('ReadinessChecks', () => {
  it('lists registered checks until they are removed, and refuses a duplicate name', () => {
    const checks = new ReadinessChecks();
    const kafka = { name: 'kafka', check: () => ({ ok: true }) };
    const remove = checks.register(kafka);
    expect(() => checks.register({ name: 'kafka', check: () => ({ ok: false }) })).toThrow(
      /already registered/,
    );
    expect(checks.list()).toEqual([kafka]);
    remove();
    remove();
    expect(checks.list()).toEqual([]);
  });
});
