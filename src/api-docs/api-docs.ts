import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from '../config/app-config.js';
import { PUBLISH_PATH } from '../publish/publish.route.js';
import { errorSchema, TOKEN_DESCRIPTION } from './openapi.schemas.js';
import { publishOperation } from './publish.operation.js';

export const API_DOCS_PATH = 'docs';

/** Served outside production, and in production only when API_DOCS_ENABLED=true. */
export function apiDocsEnabled(config: AppConfig): boolean {
  return config.API_DOCS_ENABLED ?? !config.production;
}

export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const info = new DocumentBuilder()
    .setTitle('Notification gateway')
    .setDescription(
      'Publishes notifications (HTTP here, or Kafka) and streams them per user to browsers. ' +
        'The stream and WebSocket wire formats are in docs/protocol.md and docs/asyncapi.yaml (AsyncAPI).',
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: TOKEN_DESCRIPTION,
    })
    .addCookieAuth('access_token', { type: 'apiKey', in: 'cookie', name: 'access_token' })
    .addSecurity('query', { type: 'apiKey', in: 'query', name: 'access_token' })
    .build();
  const document = SwaggerModule.createDocument(app, info);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, Error: errorSchema },
  };
  if (config.HTTP_PUBLISH_ENABLED) {
    document.paths[PUBLISH_PATH] = { ...document.paths[PUBLISH_PATH], post: publishOperation };
  }
  return document;
}

/** `/docs` (Swagger UI) and `/docs-json` (the document). */
export function setupApiDocs(app: INestApplication, config: AppConfig): void {
  SwaggerModule.setup(API_DOCS_PATH, app, () => buildOpenApiDocument(app, config), {
    raw: ['json'],
  });
}
