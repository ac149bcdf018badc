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

  LONGPOLL_TIMEOUT_SECONDS: int(0, 55).default(25),
  LONGPOLL_MAX_TIMEOUT_SECONDS: int(1, 300).default(55),
  LONGPOLL_MAX_BATCH: int(1, 10_000).default(500),

  HISTORY_MAX_PER_USER: int(1, 100_000).default(1000),
  HISTORY_TTL_SECONDS: int(1, 30 * 86_400).default(86_400),
  HISTORY_MAX_USERS: int(1, 10_000_000).default(100_000),
  DEDUPE_TTL_SECONDS: int(1, 30 * 86_400).default(86_400),
  DEDUPE_MAX_KEYS: int(1, 100_000_000).default(1_000_000),

  /** /health/live fails when the event loop stalled longer than this within the last 10 s. */
  HEALTH_MAX_LOOP_DELAY_MS: int(50, 600_000).default(5000),
  /** OpenAPI at /docs; unset means on outside production, off in production. */
  API_DOCS_ENABLED: bool.optional(),

  /** Extra origins allowed to open a WebSocket; same-origin and Origin-less clients always are. */
  WS_ALLOWED_ORIGINS: optionalString
    .transform((v) =>
      v
        ?.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z
            .string()
            .regex(
              /^https?:\/\/[^/\s?#]+$/i,
              'must be origins like https://app.example.com, comma-separated',
            ),
        )
        .max(100)
        .optional(),
    ),
  WS_PING_INTERVAL_MS: int(100, 600_000).default(25_000),
  WS_PONG_TIMEOUT_MS: int(50, 600_000).default(10_000),
  WS_MAX_PAYLOAD: int(128, 16 * 1024 * 1024).default(64 * 1024),
  WS_MAX_BUFFERED_BYTES: int(16 * 1024, 256 * 1024 * 1024).default(1024 * 1024),
  WS_RATE_LIMIT_PER_SECOND: int(1, 10_000).default(10),
  WS_RATE_LIMIT_BURST: int(1, 100_000).default(20),

  TLS_CERT_FILE: optionalString,
  TLS_KEY_FILE: optionalString,
  /** Seconds the drain spreads reconnects over after SIGTERM (same definition as the drain branch). */
  DRAIN_SECONDS: int(0, 300).default(20),
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
    value === undefined ? 'unset' : `"${key.includes('SECRET') ? '<redacted>' : value}"`;
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
  if ((raw.TLS_CERT_FILE === undefined) !== (raw.TLS_KEY_FILE === undefined)) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE: set both (HTTPS/WSS) or neither');
  }
  if (production && !hasAuth) {
    problems.push(
      'JWT_SECRET or JWT_JWKS_URL: required when NODE_ENV=production (the dev profile generates a throwaway secret)',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({ ...raw, production, devAuth: !hasAuth });
}
