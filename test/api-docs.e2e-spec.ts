import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { startGateway, type TestGateway } from './support/gateway.js';

describe('OpenAPI at /docs', () => {
  let gw: TestGateway;
  let doc: OpenAPIObject;
  beforeAll(async () => {
    gw = await startGateway();
    const res = await fetch(`${gw.url}/docs-json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenAPIObject;
  });
  afterAll(() => gw.close());

  it('serves Swagger UI outside production', async () => {
    const res = await fetch(`${gw.url}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger-ui');
  });

  it('documents the HTTP API and leaves /metrics out', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/health/live',
      '/health/ready',
      '/v1/notifications',
      '/v1/notifications/poll',
      '/v1/notifications/stream',
    ]);
    expect(doc.paths['/v1/notifications'].post?.responses).toHaveProperty('202');
    expect(Object.keys(doc.paths['/v1/notifications/stream'].get!.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '429',
    ]);
    expect(Object.keys(doc.components!.securitySchemes!).sort()).toEqual([
      'bearer',
      'cookie',
      'query',
    ]);
  });

  it('every documented operation is served (none answers 404 or 405)', async () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of ['get', 'post', 'put', 'delete', 'patch'] as const) {
        if (!item[method]) continue;
        const res = await fetch(`${gw.url}${path}`, {
          method: method.toUpperCase(),
          signal: AbortSignal.timeout(2000),
        });
        await res.body?.cancel();
        expect([path, method, res.status]).not.toEqual([path, method, 404]);
        expect(res.status).not.toBe(405);
      }
    }
  });

  it("the publish schema's example is accepted by the service as documented", async () => {
    const body = doc.paths['/v1/notifications'].post!.requestBody as {
      content: { 'application/json': { schema: { oneOf: { example?: unknown }[] } } };
    };
    const single = body.content['application/json'].schema.oneOf[0];
    const { results } = await gw.publish(single.example);
    expect(results).toHaveLength(1);
    const res = await fetch(`${gw.url}/v1/notifications`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await gw.publisherToken()}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ...(single.example as object), unknownField: 1 }),
    });
    // additionalProperties: false in the document, "is not a known field" in the codec.
    expect(res.status).toBe(400);
  });
});

describe('OpenAPI in production', () => {
  it('is off by default and on with API_DOCS_ENABLED=true', async () => {
    const off = await startGateway({ NODE_ENV: 'production' });
    try {
      expect((await fetch(`${off.url}/docs`)).status).toBe(404);
      expect((await fetch(`${off.url}/docs-json`)).status).toBe(404);
    } finally {
      await off.close();
    }
    const on = await startGateway({ NODE_ENV: 'production', API_DOCS_ENABLED: 'true' });
    try {
      expect((await fetch(`${on.url}/docs-json`)).status).toBe(200);
    } finally {
      await on.close();
    }
  });
});
