import { afterAll, beforeAll, describe, it, jest } from '@jest/globals';
import type { Producer } from 'kafkajs';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { buildClient, expectPageShowsPublished } from '../support/demo-page.js';
import type { TestGateway } from '../support/gateway.js';
import {
  connectProducer,
  createTopics,
  kafkaBrokers,
  startKafkaGateway,
  unique,
} from './kafka-support.js';

// A project-level testTimeout is ignored by Jest 30; the broker and the browser need more than 5 s.
jest.setTimeout(60_000);

/** The Kafka variant of test/browser-client.e2e-spec.ts: produced to the topic, shown on the page. */
describe('browser client in Chromium, notifications from Kafka', () => {
  const brokers = kafkaBrokers();
  const topic = unique('browser');
  let gw: TestGateway;
  let producer: Producer;
  let browser: Browser;

  beforeAll(async () => {
    buildClient();
    // One partition: the page must show the records in the order produced, whatever their key.
    await createTopics(brokers, [{ topic, partitions: 1 }]);
    // JWT_SECRET empty: the dev profile, which serves the demo page and mints its tokens.
    ({ gw } = await startKafkaGateway(brokers, topic, {
      JWT_SECRET: '',
      SSE_HEARTBEAT_MS: '1000',
    }));
    producer = await connectProducer(brokers);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await producer?.disconnect();
    await gw?.close();
  });

  it('shows a notification produced to the Kafka topic', async () => {
    const user = 'viewer-kafka';
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${gw.url}/?user=${user}`);
      await expectPageShowsPublished(page, user, 'kafka', async (n) => {
        await producer.send({ topic, messages: [{ key: n.userId, value: JSON.stringify(n) }] });
      });
    } finally {
      await context.close();
    }
  });
});
