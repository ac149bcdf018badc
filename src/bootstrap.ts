import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { apiDocsEnabled, setupApiDocs } from './api-docs/api-docs.js';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { corsOptions } from './common/cors.options.js';
import { JsonExceptionFilter } from './common/http-exception.filter.js';
import { NotificationWsAdapter } from './delivery/ws/ws.adapter.js';
import { accessLog } from './logging/access-log.middleware.js';
import { JsonLogger } from './logging/json.logger.js';

export interface CreateAppOptions {
  /** Defaults to JSON lines on stdout at LOG_LEVEL; tests silence it or capture the lines. */
  readonly logger?: false | LoggerService;
}

/** Builds the application exactly as production runs it; `main.ts` and the e2e tests share it. */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: options.logger ?? new JsonLogger(config.LOG_LEVEL),
    httpsOptions: tlsOptions(config),
  });
  app.useWebSocketAdapter(new NotificationWsAdapter(app, config));
  app.use(accessLog(config.LOG_LEVEL));
  if (config.CORS_ALLOWED_ORIGINS) app.enableCors(corsOptions(config.CORS_ALLOWED_ORIGINS));
  // Only the dev token form reads a body through Nest; the publish route reads its own.
  app.useBodyParser('json', { limit: config.PUBLISH_MAX_BODY_BYTES });
  app.useGlobalFilters(new JsonExceptionFilter());
  app.disable('x-powered-by');
  // No answer here is cacheable (the client assets set their own ETag): hashing every answer for
  // one would be wasted.
  app.set('etag', false);
  app.enableShutdownHooks();
  if (apiDocsEnabled(config)) setupApiDocs(app, config);
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
