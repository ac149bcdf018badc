import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { JsonExceptionFilter } from './common/http-exception.filter.js';
import { NotificationWsAdapter } from './delivery/ws/ws.adapter.js';

export interface CreateAppOptions {
  /** Nest's own logger; tests silence it. */
  readonly logger?: false | ('error' | 'warn' | 'log' | 'debug' | 'verbose')[];
}

const LOG_LEVELS = {
  error: ['error'],
  warn: ['error', 'warn'],
  info: ['error', 'warn', 'log'],
  debug: ['error', 'warn', 'log', 'debug'],
  verbose: ['error', 'warn', 'log', 'debug', 'verbose'],
} as const;

/** Builds the application exactly as production runs it; `main.ts` and the e2e tests share it. */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: options.logger ?? [...LOG_LEVELS[config.LOG_LEVEL]],
    httpsOptions: tlsOptions(config),
  });
  app.useWebSocketAdapter(new NotificationWsAdapter(app, config));
  app.useBodyParser('json', { limit: config.PUBLISH_MAX_BODY_BYTES });
  app.useGlobalFilters(new JsonExceptionFilter());
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  return app;
}

/** HTTPS and WSS on the same port when a certificate is configured (loadConfig demands both). */
function tlsOptions(config: AppConfig): { cert: Buffer; key: Buffer } | undefined {
  if (!config.TLS_CERT_FILE || !config.TLS_KEY_FILE) return undefined;
  const read = (name: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${name}=${path}: cannot read (${(err as Error).message})`, { cause: err });
    }
  };
  return {
    cert: read('TLS_CERT_FILE', config.TLS_CERT_FILE),
    key: read('TLS_KEY_FILE', config.TLS_KEY_FILE),
  };
}
