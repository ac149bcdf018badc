import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { TOKEN_SETTINGS } from '../../src/app.tokens.js';
import { PUBLISH_SCOPE, signToken, type TokenSettings } from '../../src/auth/token-verifier.js';
import { createApp } from '../../src/bootstrap.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

export interface TestGateway {
  readonly app: NestExpressApplication;
  readonly config: AppConfig;
  readonly url: string;
  readonly port: number;
  /** A subscriber token for `sub` (or a publisher token with `scope`). */
  token(sub: string, options?: { scope?: string; ttlSeconds?: number }): Promise<string>;
  publisherToken(): Promise<string>;
  /** POST /v1/notifications with a publisher token; returns the parsed 202 body. */
  publish(body: unknown): Promise<{ results: { id: string; duplicate: boolean }[] }>;
  close(): Promise<void>;
}

/** Starts the real application in this process on a free 127.0.0.1 port. */
export async function startGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const config = loadConfig({ JWT_SECRET: TEST_SECRET, NODE_ENV: 'test', PORT: '0', ...env });
  const app = await createApp(config, { logger: process.env.TEST_LOGS ? undefined : false });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  // TEST_SECRET, or the dev profile's throwaway secret when a test starts it (JWT_SECRET: '').
  const secret = app.get<TokenSettings>(TOKEN_SETTINGS).secret ?? TEST_SECRET;
  const token = (sub: string, options: { scope?: string; ttlSeconds?: number } = {}) =>
    signToken(secret, { sub, ...options });
  const publisherToken = () => token('test-publisher', { scope: PUBLISH_SCOPE });
  return {
    app,
    config,
    url,
    port,
    token,
    publisherToken,
    async publish(body) {
      const res = await fetch(`${url}/v1/notifications`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await publisherToken()}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
      if (res.status !== 202)
        throw new Error(`publish answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as { results: { id: string; duplicate: boolean }[] };
    },
    close: () => app.close(),
  };
}
