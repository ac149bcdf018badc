import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { JsonExceptionFilter } from './common/http-exception.filter.js';

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
  });
  app.useBodyParser('json', { limit: config.PUBLISH_MAX_BODY_BYTES });
  app.useGlobalFilters(new JsonExceptionFilter());
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  return app;
}
