import { describe, expect, it } from '@jest/globals';
import { CONFIG_KEYS, ConfigError, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('gives the documented defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.SSE_HEARTBEAT_MS).toBe(15_000);
    expect(c.MAX_CONNECTIONS_PER_USER).toBe(8);
    expect(c.MAX_CONNECTIONS).toBe(10_000);
    expect(c.PAYLOAD_MAX_BYTES).toBe(65_536);
    expect(c.devAuth).toBe(true);
    expect(c.production).toBe(false);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names the variable, the value and the expected form', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'abc', SSE_HEARTBEAT_MS: '5' });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('PORT="abc"');
      expect(msg).toContain('SSE_HEARTBEAT_MS="5"');
      expect(msg).toMatch(/100/);
    }
  });

  it('refuses production without real auth settings', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET or JWT_JWKS_URL/);
    const c = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) });
    expect(c.devAuth).toBe(false);
  });

  it('never echoes a secret in its error', () => {
    expect(() => loadConfig({ JWT_SECRET: 'short-secret' })).toThrow(/JWT_SECRET="<redacted>"/);
    expect(() => loadConfig({ JWT_SECRET: 'short-secret' })).not.toThrow(/short-secret/);
  });

  it('parses booleans strictly', () => {
    expect(loadConfig({ HTTP_PUBLISH_ENABLED: 'false' }).HTTP_PUBLISH_ENABLED).toBe(false);
    expect(() => loadConfig({ HTTP_PUBLISH_ENABLED: 'nope' })).toThrow(/HTTP_PUBLISH_ENABLED/);
  });

  it('lists every key it knows', () => {
    expect(CONFIG_KEYS).toContain('JWT_AUDIENCE');
  });

  it('leaves Kafka off by default and parses its lists', () => {
    const off = loadConfig({});
    expect(off.KAFKA_BROKERS).toBeUndefined();
    expect(off.KAFKA_TOPICS).toEqual(['notifications']);
    expect(off.KAFKA_GROUP_ID).toBe('notification-gateway');
    expect(off.KAFKA_DLQ_SUFFIX).toBe('.dlq');
    expect(off.KAFKA_MESSAGE_MAX_BYTES).toBe(262_144);
    const on = loadConfig({ KAFKA_BROKERS: 'k1:9092, k2:9093', KAFKA_TOPICS: 'a,b.c' });
    expect(on.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9093']);
    expect(on.KAFKA_TOPICS).toEqual(['a', 'b.c']);
  });

  it('rejects bad Kafka settings by name, hiding the SASL password', () => {
    expect(() => loadConfig({ KAFKA_BROKERS: 'no-port' })).toThrow(/KAFKA_BROKERS="no-port"/);
    expect(() => loadConfig({ KAFKA_TOPICS: 'bad topic' })).toThrow(/KAFKA_TOPICS/);
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/KAFKA_SASL_USERNAME/);
    expect(() =>
      loadConfig({ KAFKA_RETRY_INITIAL_MS: '5000', KAFKA_RETRY_MAX_MS: '1000' }),
    ).toThrow(/KAFKA_RETRY_INITIAL_MS/);
    const long = 'p'.repeat(1025);
    expect(() => loadConfig({ KAFKA_SASL_PASSWORD: long })).toThrow(
      /KAFKA_SASL_PASSWORD="<redacted>"/,
    );
    expect(() => loadConfig({ KAFKA_SASL_PASSWORD: long })).not.toThrow(/ppp/);
  });
});

describe('loadConfig: WebSocket and TLS', () => {
  it('has the documented WebSocket defaults', () => {
    const c = loadConfig({});
    expect(c.WS_ALLOWED_ORIGINS).toBeUndefined();
    expect(c.WS_PING_INTERVAL_MS).toBe(25_000);
    expect(c.WS_PONG_TIMEOUT_MS).toBe(10_000);
    expect(c.WS_MAX_PAYLOAD).toBe(65_536);
  });

  it('parses the origin allow-list and refuses anything but origins', () => {
    expect(
      loadConfig({ WS_ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173' })
        .WS_ALLOWED_ORIGINS,
    ).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(() => loadConfig({ WS_ALLOWED_ORIGINS: 'https://a.example/path' })).toThrow(
      /WS_ALLOWED_ORIGINS/,
    );
    expect(() => loadConfig({ WS_ALLOWED_ORIGINS: '*' })).toThrow(/WS_ALLOWED_ORIGINS/);
    expect(
      loadConfig({ CORS_ALLOWED_ORIGINS: 'HTTPS://App.Example' }).CORS_ALLOWED_ORIGINS,
    ).toEqual(['https://app.example']);
    expect(() => loadConfig({ CORS_ALLOWED_ORIGINS: '*' })).toThrow(/CORS_ALLOWED_ORIGINS/);
  });

  it('wants both TLS files or neither', () => {
    expect(() => loadConfig({ TLS_CERT_FILE: '/c.pem' })).toThrow(/set both/);
    expect(loadConfig({ TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem' }).TLS_KEY_FILE).toBe(
      '/k.pem',
    );
  });
});
