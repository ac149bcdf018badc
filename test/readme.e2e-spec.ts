import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { CONFIG_KEYS, loadConfig } from '../src/config/app-config.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');

describe('README', () => {
  const rows = new Map(
    [...readme.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|\s*([^|]+?)\s*\|/gm)].map((m) => [
      m[1],
      m[2].trim(),
    ]),
  );

  it('documents every configuration variable in its table, and no unknown one', () => {
    expect([...rows.keys()].sort()).toEqual([...CONFIG_KEYS].sort());
  });

  it('states the defaults the schema really has', () => {
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    for (const [key, documented] of rows) {
      const actual = defaults[key];
      if (actual === undefined) continue;
      expect(`${key}=${documented}`).toBe(`${key}=\`${String(actual)}\``);
    }
  });

  it('shows the test command that CI runs', () => {
    expect(readme).toContain('npm test ');
    expect(ci).toMatch(/^npm test$/m);
  });
});
