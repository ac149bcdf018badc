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

/** Comma-separated origins (`https://app.example.com`), normalised as browsers send them. */
const originList = optionalString
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
          )
          // Scheme and host are case-insensitive; browsers send them in lower case.
          .transform((o) => o.toLowerCase()),
      )
      .max(100)
      .optional(),
  );

// Kafka's legal topic and group characters; 249 is its length limit.
const KAFKA_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const HOST_PORT = /^[A-Za-z0-9.-]{1,253}:\d{1,5}$/;
const list = (item: z.ZodString, max: number) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1).max(max));

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
  DEDUPE_LOG_WINDOW: int(1, 1_000_000_000).default(1_000_000),

  /** /health/live fails when the event loop stalled longer than this within the last 10 s. */
  HEALTH_MAX_LOOP_DELAY_MS: int(50, 600_000).default(5000),
  /** OpenAPI at /docs; unset means on outside production, off in production. */
  API_DOCS_ENABLED: bool.optional(),

  /** Extra origins allowed to open a WebSocket; same-origin and Origin-less clients always are. */
  WS_ALLOWED_ORIGINS: originList,
  /** Origins whose pages may call the HTTP API (streams, polls, publish) across origins. */
  CORS_ALLOWED_ORIGINS: originList,
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

  /** Comma-separated host:port list; unset disables the Kafka source. */
  KAFKA_BROKERS: list(z.string().regex(HOST_PORT, 'must be host:port'), 100).optional(),
  KAFKA_TOPICS: list(z.string().regex(KAFKA_NAME, 'must be a Kafka topic name'), 100).default([
    'notifications',
  ]),
  KAFKA_GROUP_ID: z
    .string()
    .regex(KAFKA_NAME, 'must be 1-249 of [A-Za-z0-9._-]')
    .default('notification-gateway'),
  KAFKA_CLIENT_ID: z
    .string()
    .regex(KAFKA_NAME, 'must be 1-249 of [A-Za-z0-9._-]')
    .default('notification-gateway'),
  /** Dead letters of topic T go to T + this suffix. */
  KAFKA_DLQ_SUFFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be 1-40 of [A-Za-z0-9._-]')
    .default('.dlq'),
  /** Where a new consumer group starts: the oldest retained message or only new ones. */
  KAFKA_FROM_BEGINNING: bool.default(false),
  /** A message value larger than this goes to the dead-letter topic unread. */
  KAFKA_MESSAGE_MAX_BYTES: int(1024, 16 * 1024 * 1024).default(256 * 1024),
  KAFKA_SSL: bool.default(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: optionalString.pipe(z.string().max(1024).optional()),
  KAFKA_SASL_PASSWORD: optionalString.pipe(z.string().max(1024).optional()),
  /**
   * A consumer silent this long leaves the group. A crashed replica's partitions wait this long
   * before another takes them; the broker bounds it (6 s to 5 min by default).
   */
  KAFKA_SESSION_TIMEOUT_MS: int(6000, 300_000).default(30_000),
  /** Backoff for consumer restarts and downstream retries: doubles from the first to the cap. */
  KAFKA_RETRY_INITIAL_MS: int(10, 60_000).default(300),
  KAFKA_RETRY_MAX_MS: int(100, 600_000).default(30_000),

  /** Redis mode (shared history, cross-replica fan-out, cluster-wide caps) when set. */
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{0,32}$/, 'must be 0-32 of letters, digits and :._-')
    .default('ng:'),
  CONNECTION_LEASE_TTL_SECONDS: int(3, 3600).default(45),
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
  // A Redis URL may carry a password.
  const secret = key.includes('SECRET') || key.includes('PASSWORD') || key === 'REDIS_URL';
  const shown = value === undefined ? 'unset' : `"${secret ? '<redacted>' : value}"`;
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
  if (raw.KAFKA_SASL_MECHANISM && !(raw.KAFKA_SASL_USERNAME && raw.KAFKA_SASL_PASSWORD)) {
    problems.push(
      'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD: required with KAFKA_SASL_MECHANISM',
    );
  }
  if (raw.KAFKA_RETRY_INITIAL_MS > raw.KAFKA_RETRY_MAX_MS) {
    problems.push('KAFKA_RETRY_INITIAL_MS: must not exceed KAFKA_RETRY_MAX_MS');
  }
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({ ...raw, production, devAuth: !hasAuth });
}
