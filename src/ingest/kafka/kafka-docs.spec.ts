import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { DLQ_HEADERS } from './kafka-notification.source.js';
import { IDEMPOTENCY_HEADER } from './kafka-message.decoder.js';
import { DEAD_LETTER_REASONS } from './kafka-source.stats.js';

const asyncapi = readFileSync(
  new URL('../../../docs/kafka.asyncapi.yaml', import.meta.url),
  'utf8',
);

/** Publishers and DLQ readers go by docs/kafka.asyncapi.yaml: it must name what the code writes. */
describe('docs/kafka.asyncapi.yaml', () => {
  it('names every dead-letter header and reason, and the idempotency header', () => {
    for (const h of Object.values(DLQ_HEADERS)) expect(asyncapi).toContain(`${h}:`);
    expect(asyncapi).toContain(`enum: [${DEAD_LETTER_REASONS.join(', ')}]`);
    expect(asyncapi).toContain(`${IDEMPOTENCY_HEADER}:`);
    expect(asyncapi).toContain("$ref: './notification.schema.json'");
  });
});
