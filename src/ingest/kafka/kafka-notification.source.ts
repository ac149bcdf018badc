import kafkajs from 'kafkajs';
import type {
  Consumer,
  EachBatchPayload,
  IHeaders,
  KafkaMessage,
  LogEntry,
  Message,
  OffsetsByTopicPartition,
  Producer,
  SASLOptions,
} from 'kafkajs';
import { backoffMs } from '../../common/backoff.js';
import type { NotificationInput } from '../../notifications/notification.js';
import type { NotificationCodec } from '../../notifications/notification.codec.js';
import type { NotificationIngest } from '../notification-ingest.js';
import type { NotificationSource, SourceState } from '../notification-source.js';
import { decodeKafkaMessage, type DecodedMessage } from './kafka-message.decoder.js';
import { KafkaSourceStats } from './kafka-source.stats.js';
import { OffsetCommits, type PartitionOffset } from './offset-commits.js';

const { Kafka, logLevel: LogLevel, Partitioners } = kafkajs;

export interface KafkaSourceOptions {
  readonly brokers: readonly string[];
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly clientId: string;
  readonly dlqSuffix: string;
  readonly fromBeginning: boolean;
  readonly messageMaxBytes: number;
  readonly ssl: boolean;
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
  readonly sessionTimeoutMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** kafkajs' own log threshold. */
  readonly verbose: boolean;
}

/** Told as the source goes, for metrics; each call is synchronous and cheap. */
export interface KafkaSourceObserver {
  consumed(topic: string, count: number): void;
  deadLettered(topic: string, count: number): void;
  accepted(count: number): void;
  rebalanced(): void;
  /** Records between the last one handled and the partition's high watermark. */
  lag(topic: string, partition: number, lag: number): void;
  /** Milliseconds from a record's timestamp to its batch reaching this replica. */
  recordAge(topic: string, ageMs: number): void;
}

const NO_OBSERVER: KafkaSourceObserver = {
  consumed() {},
  deadLettered() {},
  accepted() {},
  rebalanced() {},
  lag() {},
  recordAge() {},
};

export interface SourceLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Messages handed to the store in one call. Bounded so heartbeats and offset progress keep
 * flowing through a large fetch.
 */
const CHUNK = 500;

/** How often processed offsets are committed while records flow (see OffsetCommits). */
const COMMIT_INTERVAL_MS = 1000;

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  error: 'dlq-error',
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
} as const;

/**
 * Reads notifications from Kafka into the ingest, at least once: a record's offset is resolved
 * and queued for commit (OffsetCommits) only after the store accepted it (or it went to the
 * dead-letter topic). A store failure pauses that partition and refetches it after a backoff from
 * the first unresolved record. A redelivered record carries the same dedupe key or offset, so the
 * store drops it. A crashed consumer is replaced by a fresh one after a backoff; `state` says which.
 */
export class KafkaNotificationSource implements NotificationSource {
  readonly name = 'kafka';
  readonly stats = new KafkaSourceStats();
  private readonly kafka: InstanceType<typeof Kafka>;
  private consumer?: Consumer;
  private producer?: Producer;
  private commits?: OffsetCommits;
  /** Bumped on every start and stop; events of an older consumer are ignored. */
  private generation = 0;
  private wanted = false;
  private restartTimer?: NodeJS.Timeout;
  private restartAttempt = 0;
  private readonly resumeTimers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly options: KafkaSourceOptions,
    private readonly ingest: NotificationIngest,
    private readonly codec: NotificationCodec,
    private readonly logger: SourceLogger,
    private readonly observer: KafkaSourceObserver = NO_OBSERVER,
  ) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      ssl: options.ssl,
      ...(options.sasl && { sasl: { ...options.sasl } as SASLOptions }),
      logLevel: options.verbose ? LogLevel.INFO : LogLevel.ERROR,
      logCreator: () => (entry) => this.kafkaLog(entry),
      retry: { initialRetryTime: options.retryInitialMs, maxRetryTime: options.retryMaxMs },
    });
  }

  get state(): SourceState {
    return this.stats.state;
  }

  async start(): Promise<void> {
    if (this.wanted) return;
    this.wanted = true;
    await this.connect();
  }

  async stop(): Promise<void> {
    if (!this.wanted) return;
    this.wanted = false;
    this.generation++;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.clearPauses();
    this.stats.state = 'stopping';
    // disconnect() waits for the batch in progress, which commits its offsets on its way out.
    if (this.commits) await this.commitBeforeLeaving(this.commits);
    await this.disconnect();
    this.stats.state = 'stopped';
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.stats.state = 'starting';
    const { options } = this;
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.floor(options.sessionTimeoutMs / 10),
      maxBytesPerPartition: Math.max(1024 * 1024, options.messageMaxBytes),
      // A paused partition is refetched on the next fetch round; the long poll returns early
      // when data arrives, so a shorter wait only costs idle requests.
      maxWaitTimeInMs: 1000,
      // One restart policy, ours: a crash always ends this consumer and schedules a new one.
      retry: { restartOnFailure: async () => false },
    });
    const producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    // Commits go through a batch's own commit function, straight to the group: once the consumer
    // is stopping, kafkajs's `consumer.commitOffsets` silently does nothing, and the last offsets
    // must still land. Offsets are pending only once a batch has run, so the function is there.
    let viaGroup: EachBatchPayload['commitOffsetsIfNecessary'] = async () => {};
    const commits = new OffsetCommits(
      (offsets) => viaGroup(byTopic(offsets)),
      COMMIT_INTERVAL_MS,
      (err) => this.logger.warn(`offset commit: ${err.message}`),
    );
    this.consumer = consumer;
    this.producer = producer;
    this.commits = commits;
    const current = () => gen === this.generation;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (!current()) return;
      commits.forget();
      this.stats.rebalances++;
      this.stats.assignedPartitions = Object.values(payload.memberAssignment).reduce(
        (n, partitions) => n + partitions.length,
        0,
      );
      this.observer.rebalanced();
      this.stats.state = 'running';
      this.restartAttempt = 0;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (current()) this.scheduleRestart(`crashed: ${payload.error.message}`);
    });
    consumer.on(consumer.events.STOP, () => {
      if (current()) this.scheduleRestart('stopped (crash or lost broker)');
    });
    try {
      await producer.connect();
      await consumer.connect();
      // stop() may have run while connecting: never start a consumer nobody owns any more.
      if (!current()) {
        await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
        return;
      }
      await consumer.subscribe({
        topics: [...options.topics],
        fromBeginning: options.fromBeginning,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // Batches of different partitions overlap (one partition's wait for the store or a commit
        // no longer holds up the others); a partition's own records are still handled in order,
        // one batch at a time.
        partitionsConsumedConcurrently: 4,
        eachBatch: (payload) => {
          viaGroup = payload.commitOffsetsIfNecessary;
          return this.onBatch(payload, producer, commits);
        },
      });
    } catch (err) {
      if (current()) this.scheduleRestart(`could not start: ${(err as Error).message}`);
    }
  }

  private scheduleRestart(why: string): void {
    if (!this.wanted || this.restartTimer) return;
    const gen = ++this.generation;
    this.clearPauses();
    this.stats.state = 'restarting';
    this.stats.restarts++;
    const delay = backoffMs(
      this.restartAttempt++,
      this.options.retryInitialMs,
      this.options.retryMaxMs,
    );
    this.logger.warn(`consumer ${why}; starting a new one in ${delay} ms`);
    const old = this.disconnect();
    this.restartTimer = setTimeout(async () => {
      await old;
      this.restartTimer = undefined;
      // A stop (and maybe a start) in the meantime owns the source now.
      if (this.wanted && gen === this.generation) await this.connect();
    }, delay);
  }

  private async disconnect(): Promise<void> {
    const { consumer, producer, commits } = this;
    this.consumer = undefined;
    this.producer = undefined;
    this.commits = undefined;
    await Promise.all([
      consumer
        ?.disconnect()
        .catch((err: Error) => this.logger.warn(`consumer disconnect: ${err.message}`)),
      producer
        ?.disconnect()
        .catch((err: Error) => this.logger.warn(`producer disconnect: ${err.message}`)),
    ]);
    // Whatever it still held is read again by the next owner of its partitions.
    commits?.forget();
  }

  private async onBatch(
    { batch, resolveOffset, heartbeat, pause, isRunning, isStale }: EachBatchPayload,
    producer: Producer,
    commits: OffsetCommits,
  ): Promise<void> {
    const { topic, partition, messages } = batch;
    const log = `${topic}:${partition}`;
    // The producer-to-gateway part of a notification's delay (the store-to-client part is
    // gateway_delivery_latency_seconds): a slow broker, producer or fetch shows here, not there.
    // A record without a timestamp (-1) has no age to tell.
    const arrived = Date.now();
    for (const m of messages) {
      const stamped = Number(m.timestamp);
      if (stamped >= 0) this.observer.recordAge(topic, arrived - stamped);
    }
    for (let i = 0; i < messages.length; i += CHUNK) {
      // Stopping or rebalanced away: what is handled so far is committed, the rest is refetched.
      // (`wanted` goes false as stop() begins, before kafkajs's own flag: this batch's commit
      // must land before the consumer leaves the group.)
      if (!isRunning() || !this.wanted || isStale()) return this.commitBeforeLeaving(commits);
      const chunk = messages.slice(i, i + CHUNK);
      const inputs: NotificationInput[] = [];
      const dead: Message[] = [];
      const reasons: DecodedMessage[] = [];
      for (const m of chunk) {
        const d = decodeKafkaMessage(this.codec, log, m, this.options.messageMaxBytes);
        if (d.ok) inputs.push(d.input);
        else {
          dead.push(deadLetter(m, d, topic, partition));
          reasons.push(d);
        }
      }
      try {
        if (dead.length) {
          await producer.send({ topic: topic + this.options.dlqSuffix, messages: dead, acks: -1 });
        }
        const results = inputs.length ? await this.ingest.accept(inputs) : [];
        let fresh = 0;
        for (const r of results) if (!r.duplicate) fresh++;
        this.stats.accepted += fresh;
        this.stats.duplicates += results.length - fresh;
        this.observer.accepted(fresh);
      } catch (err) {
        this.retryLater(topic, partition, pause, err as Error);
        return;
      }
      for (const d of reasons) if (!d.ok) this.stats.deadLettered[d.reason]++;
      if (dead.length) this.observer.deadLettered(topic, dead.length);
      this.stats.consumed += chunk.length;
      this.observer.consumed(topic, chunk.length);
      // The chunk was handled whole: resolving its last offset covers the rest (kafkajs keeps one
      // resolved offset per partition, parsed into a Long on every call).
      const last = chunk[chunk.length - 1].offset;
      resolveOffset(last);
      commits.processed(topic, partition, last);
      this.observer.lag(
        topic,
        partition,
        Math.max(0, Number(batch.highWatermark) - Number(last) - 1),
      );
      try {
        await heartbeat();
      } catch (err) {
        // A rebalance: what this member handled is committed before its partitions move.
        await this.commitBeforeLeaving(commits);
        throw err;
      }
    }
    this.failures.delete(log);
    if (!isRunning() || !this.wanted) await this.commitBeforeLeaving(commits);
  }

  private async commitBeforeLeaving(commits: OffsetCommits): Promise<void> {
    await commits.flush().catch((err: Error) => this.logger.warn(`offset commit: ${err.message}`));
  }

  /** Pauses the partition; once resumed, kafkajs refetches it from the first unresolved record. */
  private retryLater(topic: string, partition: number, pause: () => () => void, err: Error): void {
    const key = `${topic}:${partition}`;
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    const delay = backoffMs(attempt, this.options.retryInitialMs, this.options.retryMaxMs);
    this.stats.retries++;
    this.logger.warn(`${key}: ${err.message}; paused, retrying in ${delay} ms`);
    const resume = pause();
    clearTimeout(this.resumeTimers.get(key));
    if (!this.resumeTimers.has(key)) this.stats.pausedPartitions++;
    this.resumeTimers.set(
      key,
      setTimeout(() => {
        this.resumeTimers.delete(key);
        this.stats.pausedPartitions--;
        resume();
      }, delay),
    );
  }

  private clearPauses(): void {
    for (const t of this.resumeTimers.values()) clearTimeout(t);
    this.resumeTimers.clear();
    this.failures.clear();
    this.stats.pausedPartitions = 0;
  }

  private kafkaLog({ level, log }: LogEntry): void {
    const line = `kafkajs ${log.message}${log.error ? `: ${String(log.error)}` : ''}`;
    if (level <= LogLevel.ERROR) this.logger.error(line);
    else if (level === LogLevel.WARN) this.logger.warn(line);
    else this.logger.log(line);
  }
}

function byTopic(offsets: readonly PartitionOffset[]): OffsetsByTopicPartition {
  const topics = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of offsets) {
    const list = topics.get(topic) ?? [];
    list.push({ partition, offset });
    topics.set(topic, list);
  }
  return { topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) };
}

/** The original record, untouched, plus headers saying why and where it came from. */
function deadLetter(
  m: KafkaMessage,
  d: Extract<DecodedMessage, { ok: false }>,
  topic: string,
  partition: number,
): Message {
  const headers: IHeaders = {
    ...m.headers,
    [DLQ_HEADERS.reason]: d.reason,
    [DLQ_HEADERS.error]: d.error,
    [DLQ_HEADERS.topic]: topic,
    [DLQ_HEADERS.partition]: String(partition),
    [DLQ_HEADERS.offset]: m.offset,
  };
  return { key: m.key, value: m.value, headers };
}
