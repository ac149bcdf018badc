import { Logger } from '@nestjs/common';
import { signToken, PUBLISH_SCOPE, type TokenSettings } from './auth/token-verifier.js';
import { TOKEN_SETTINGS } from './app.tokens.js';
import { createApp } from './bootstrap.js';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config.js';
import { logProcessWarnings } from './logging/process-warnings.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const app = await createApp(config);
  logProcessWarnings(process, new Logger('Process'));
  await app.listen(config.PORT, config.HOST);
  const logger = new Logger('Gateway');
  logger.log(
    `listening on ${config.HOST}:${config.PORT} (${config.production ? 'production' : 'dev'} profile)`,
  );
  if (config.devAuth) printDevBanner(app.get<TokenSettings>(TOKEN_SETTINGS).secret!, config.PORT);
}

/** The embedded default: tokens and commands a newcomer can paste straight away. */
async function printDevBanner(secret: string, port: number): Promise<void> {
  const subscriber = await signToken(secret, { sub: 'alice', ttlSeconds: 12 * 3600 });
  const publisher = await signToken(secret, {
    sub: 'dev-publisher',
    scope: PUBLISH_SCOPE,
    ttlSeconds: 12 * 3600,
  });
  const base = `http://localhost:${port}`;
  console.log(`
Dev profile: in-memory hub and history, HTTP publish enabled, a throwaway signing secret.
Tokens are valid for 12 hours and only for this process.

  Subscriber token (user "alice"):
    ${subscriber}
  Publisher token (scope ${PUBLISH_SCOPE}):
    ${publisher}

Demo page (sign in as anyone, publish, watch the connection): ${base}/

Stream alice's notifications:
  curl -N -H "Authorization: Bearer ${subscriber}" ${base}/v1/notifications/stream

Publish one (in another terminal):
  curl -X POST ${base}/v1/notifications -H "Authorization: Bearer ${publisher}" \\
    -H "Content-Type: application/json" \\
    -d '{"userId":"alice","channel":"chat","type":"message.created","payload":{"text":"hello"}}'
`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
