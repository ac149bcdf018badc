import { z } from 'zod';

/**
 * Every environment variable the service reads, with its default. This schema is the single source
 * of truth: the README table, the k8s manifests test and the boot validation all derive from it.
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug', 'verbose']).default('info'),

  JWT_SECRET: optionalString.pipe(
    z.string().min(32, 'must be at least 32 characters (HS256 shared secret)').optional(),
  ),
  JWT_JWKS_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  JWT_ISSUER: optionalString,
  JWT_AUDIENCE: optionalString,

  HTTP_PUBLISH_ENABLED: bool.default(true),
  PUBLISH_MAX_BATCH: int(1, 10_000).default(500),
  PUBLISH_MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(4 * 1024 * 1024),
  PAYLOAD_MAX_BYTES: int(16, 1024 * 1024).default(64 * 1024),
  MAX_RECIPIENTS: int(1, 100_000).default(1000),

  SSE_HEARTBEAT_MS: int(100, 600_000).default(15_000),
  SSE_RETRY_MS: int(100, 600_000).default(3000),
  MAX_CONNECTIONS_PER_USER: int(1, 10_000).default(8),
  MAX_CONNECTIONS: int(1, 1_000_000).default(10_000),
  CONNECTION_RETRY_AFTER_SECONDS: int(1, 3600).default(5),

  HISTORY_MAX_PER_USER: int(1, 100_000).default(1000),
  HISTORY_TTL_SECONDS: int(1, 30 * 86_400).default(86_400),
  HISTORY_MAX_USERS: int(1, 10_000_000).default(100_000),
  DEDUPE_TTL_SECONDS: int(1, 30 * 86_400).default(86_400),
  DEDUPE_MAX_KEYS: int(1, 100_000_000).default(1_000_000),

  /** Redis mode (shared history, cross-replica fan-out, cluster-wide caps) when set. */
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{0,32}$/, 'must be 0-32 of letters, digits and :._-')
    .default('ng:'),
  CONNECTION_LEASE_TTL_SECONDS: int(3, 3600).default(45),
  DRAIN_SECONDS: int(0, 300).default(20),
  SSE_MAX_PENDING_BYTES: int(16 * 1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface AppConfig extends RawConfig {
  readonly production: boolean;
  /** True when no JWT settings were given outside production: a secret is generated at boot. */
  readonly devAuth: boolean;
}

/** Names of every variable the service knows (used by the manifests test and the README check). */
export const CONFIG_KEYS: readonly string[] = Object.keys(configSchema.shape);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describe(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const key = String(issue.path[0] ?? '');
  const value = env[key];
  const shown =
    value === undefined
      ? 'unset'
      : `"${key.includes('SECRET') || key === 'REDIS_URL' ? '<redacted>' : value}"`;
  return `${key}=${shown}: ${issue.message}`;
}

/** Reads the configuration once; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const picked: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => describe(i, env)));
  const raw = parsed.data;
  const production = raw.NODE_ENV === 'production';
  const hasAuth = raw.JWT_SECRET !== undefined || raw.JWT_JWKS_URL !== undefined;
  const problems: string[] = [];
  if (raw.JWT_SECRET && raw.JWT_JWKS_URL) {
    problems.push('JWT_SECRET and JWT_JWKS_URL: set one of them, not both');
  }
  if (production && !hasAuth) {
    problems.push(
      'JWT_SECRET or JWT_JWKS_URL: required when NODE_ENV=production (the dev profile generates a throwaway secret)',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({ ...raw, production, devAuth: !hasAuth });
}
