/**
 * Publishes one notification to Kafka, as a producing service would: the same JSON as the HTTP
 * publish API, keyed by the user id so a user's notifications stay in order on one partition.
 *
 *   npm run publish -- --user alice --channel chat --type message.created '{"text":"hi"}'
 *
 * Brokers: --brokers, else KAFKA_BROKERS, else 127.0.0.1:9092 (what `npm run kafka:start` uses).
 * The gateway validates it; an invalid one lands on the dead-letter topic with its reason.
 */
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';

const { Kafka, Partitioners, logLevel } = kafkajs;

const USAGE = `usage: npm run publish -- (--user ID | --users ID,ID | --broadcast) --type TYPE
         [--channel NAME] [--id IDEMPOTENCY_KEY] [--ttl SECONDS]
         [--topic notifications] [--brokers host:port,...] ['<payload JSON>']`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        user: { type: 'string' },
        users: { type: 'string' },
        broadcast: { type: 'boolean' },
        channel: { type: 'string' },
        type: { type: 'string' },
        id: { type: 'string' },
        ttl: { type: 'string' },
        topic: { type: 'string' },
        brokers: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    console.log(USAGE);
    return;
  }
  const targets = [o.user, o.users, o.broadcast].filter((t) => t !== undefined);
  if (targets.length !== 1) fail('give exactly one of --user, --users or --broadcast');
  if (!o.type) fail('--type is required');
  if (positionals.length > 1) fail('give the payload as one JSON argument (quote it)');

  const notification: Record<string, unknown> = {};
  if (o.user) notification.userId = o.user;
  if (o.users) notification.userIds = o.users.split(',').map((u) => u.trim());
  if (o.broadcast) notification.broadcast = true;
  if (o.channel) notification.channel = o.channel;
  notification.type = o.type;
  if (positionals[0] !== undefined) {
    try {
      notification.payload = JSON.parse(positionals[0]);
    } catch (err) {
      fail(`payload is not JSON: ${(err as Error).message}`);
    }
  }
  if (o.id) notification.id = o.id;
  if (o.ttl) notification.ttlSeconds = Number(o.ttl);

  const brokers = (o.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const topic = o.topic ?? process.env.KAFKA_TOPICS?.split(',')[0] ?? 'notifications';
  const kafka = new Kafka({
    clientId: 'notification-publish-cli',
    brokers,
    logLevel: logLevel.ERROR,
    retry: { retries: 3 },
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const [meta] = await producer.send({
      topic,
      messages: [{ key: o.user ?? null, value: JSON.stringify(notification) }],
    });
    console.log(
      `published to ${topic} partition ${meta.partition} offset ${meta.baseOffset}: ${JSON.stringify(notification)}`,
    );
  } finally {
    await producer.disconnect();
  }
}

main().catch((err: Error) => {
  console.error(`publish failed: ${err.message}`);
  process.exit(1);
});
