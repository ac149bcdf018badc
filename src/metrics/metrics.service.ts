import { Inject, Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Registry,
  type Counter as CounterType,
} from 'prom-client';
import { CONNECTION_LIMITER, HISTORY_STORE } from '../app.tokens.js';
import type { ConnectionLimiter, Transport } from '../connections/connection-limiter.js';
import type { HistoryStore } from '../history/history-store.js';
import { FixedLabelHistogram } from './fixed-label-histogram.js';

export type RejectReason = 'auth' | 'origin' | 'cap';
export type IngestSource = 'http' | 'kafka';

const TRANSPORTS: readonly Transport[] = ['sse', 'ws', 'longpoll'];
const REJECT_REASONS: readonly RejectReason[] = ['auth', 'origin', 'cap'];
const SOURCES: readonly IngestSource[] = ['http', 'kafka'];

/** Publish-to-write latency: from a millisecond on one replica to seconds behind a slow Redis. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A record's age on arrival: milliseconds when the pipeline keeps up, hours after an outage. */
const RECORD_AGE_BUCKETS = [...LATENCY_BUCKETS, 30, 60, 300, 1800, 3600];
/**
 * How often `nodejs_eventloop_lag_*` samples the loop. prom-client's default, 10 ms, woke an idle
 * replica 106 times a second (8.6 ms of CPU per second doing nothing, 3.9 ms now: `npm run
 * bench:idle`), and a paced publisher's gateway between its requests. The liveness check samples
 * every 100 ms as well; the two mostly share a wake-up (11 a second in all).
 */
const LOOP_LAG_SAMPLE_MS = 100;

type Bound<K extends string> = Record<K, CounterType.Internal>;

/** Binds a child per label value, exported as 0 from the start so rates work from the first scrape. */
function bind<K extends string>(counter: Counter<string>, values: readonly K[]): Bound<K> {
  return Object.fromEntries(values.map((v) => [v, zeroed(counter.labels(v))])) as Bound<K>;
}

function zeroed(child: CounterType.Internal): CounterType.Internal {
  child.inc(0);
  return child;
}

/**
 * Plain-number tallies behind a counter, for per-message calls: prom-client hashes labels on every
 * increment, even through a bound child, so the hot path adds to a number and the counter takes
 * the sum when scraped.
 */
function tallied<K extends string>(
  config: { name: string; help: string; registers: Registry[] },
  labelName: string,
  values: readonly K[],
): Record<K, number> {
  const pending = Object.fromEntries(values.map((v) => [v, 0])) as Record<K, number>;
  const counter = new Counter({
    ...config,
    labelNames: [labelName],
    collect() {
      for (const v of values) {
        if (pending[v] === 0) continue;
        this.inc({ [labelName]: v }, pending[v]);
        pending[v] = 0;
      }
    },
  });
  for (const v of values) counter.inc({ [labelName]: v }, 0);
  return pending;
}

/**
 * Every metric the gateway exports, behind typed methods. The per-message calls (`delivered`,
 * `heartbeat`) only add to plain numbers; prom-client sees them at scrape time.
 * One registry per application instance: several gateways can run in one process (the tests do).
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  private readonly connects: Bound<Transport>;
  private readonly rejections: Record<RejectReason, Bound<Transport>>;
  private readonly ingestedBy: Bound<IngestSource>;
  private readonly deliveries: Record<Transport, number>;
  private readonly latency: FixedLabelHistogram<Transport>;
  private readonly heartbeats: Record<Transport, number>;
  private readonly slowDisconnects: Bound<Transport>;
  private readonly kafkaConsumedTotal: Counter<'topic'>;
  private readonly kafkaDeadLetteredTotal: Counter<'topic'>;
  private readonly kafkaLagGauge: Gauge<'topic' | 'partition'>;
  private readonly kafkaRebalancesTotal: Counter;
  private readonly redisErrorsTotal: Counter;

  constructor(
    @Inject(CONNECTION_LIMITER) limiter: ConnectionLimiter,
    @Inject(HISTORY_STORE) history: HistoryStore,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({
      register: this.registry,
      eventLoopMonitoringPrecision: LOOP_LAG_SAMPLE_MS,
    });

    new Gauge({
      name: 'gateway_connections',
      help: 'Open long-lived connections on this replica, by transport',
      labelNames: ['transport'],
      registers,
      collect() {
        const counts = limiter.byTransport();
        for (const t of TRANSPORTS) this.set({ transport: t }, counts[t]);
      },
    });
    this.connects = bind(
      new Counter({
        name: 'gateway_connects_total',
        help: 'Connections admitted, by transport',
        labelNames: ['transport'],
        registers,
      }),
      TRANSPORTS,
    );
    const rejections = new Counter({
      name: 'gateway_connection_rejections_total',
      help: 'Connections refused, by reason (auth, origin, cap) and transport',
      labelNames: ['reason', 'transport'],
      registers,
    });
    this.rejections = Object.fromEntries(
      REJECT_REASONS.map((r) => [
        r,
        Object.fromEntries(TRANSPORTS.map((t) => [t, zeroed(rejections.labels(r, t))])),
      ]),
    ) as Record<RejectReason, Bound<Transport>>;
    this.ingestedBy = bind(
      new Counter({
        name: 'gateway_notifications_ingested_total',
        help: 'Notifications accepted, by source (http, kafka)',
        labelNames: ['source'],
        registers,
      }),
      SOURCES,
    );
    this.deliveries = tallied(
      {
        name: 'gateway_deliveries_total',
        help: 'Notifications written to a client connection, by transport',
        registers,
      },
      'transport',
      TRANSPORTS,
    );
    this.latency = new FixedLabelHistogram(
      'gateway_delivery_latency_seconds',
      'Time from a notification being stored to its write to a client, by transport',
      'transport',
      TRANSPORTS,
      LATENCY_BUCKETS,
      this.registry,
    );
    this.heartbeats = tallied(
      { name: 'gateway_heartbeats_total', help: 'Heartbeats sent, by transport', registers },
      'transport',
      TRANSPORTS,
    );
    this.slowDisconnects = bind(
      new Counter({
        name: 'gateway_slow_client_disconnects_total',
        help: 'Connections closed because the client did not keep up, by transport',
        labelNames: ['transport'],
        registers,
      }),
      TRANSPORTS,
    );
    this.kafkaConsumedTotal = new Counter({
      name: 'gateway_kafka_messages_consumed_total',
      help: 'Kafka messages consumed, by topic',
      labelNames: ['topic'],
      registers,
    });
    this.kafkaDeadLetteredTotal = new Counter({
      name: 'gateway_kafka_messages_dead_lettered_total',
      help: 'Kafka messages sent to the dead-letter topic, by source topic',
      labelNames: ['topic'],
      registers,
    });
    this.kafkaLagGauge = new Gauge({
      name: 'gateway_kafka_consumer_lag',
      help: 'Messages between the committed offset and the high watermark, per assigned partition',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.kafkaRebalancesTotal = new Counter({
      name: 'gateway_kafka_rebalances_total',
      help: 'Consumer group rebalances this replica took part in',
      registers,
    });
    new Gauge({
      name: 'gateway_history_notifications',
      help: 'Notifications retained in history',
      registers,
      collect() {
        this.set(history.size());
      },
    });
    this.redisErrorsTotal = new Counter({
      name: 'gateway_redis_errors_total',
      help: 'Redis command and connection errors',
      registers,
    });
  }

  connected(transport: Transport): void {
    this.connects[transport].inc();
  }

  rejected(reason: RejectReason, transport: Transport): void {
    this.rejections[reason][transport].inc();
  }

  ingested(source: IngestSource, count = 1): void {
    this.ingestedBy[source].inc(count);
  }

  /** One notification written to one connection; `createdAt` (ms since epoch) feeds the latency. */
  delivered(transport: Transport, createdAt: number): void {
    this.deliveries[transport]++;
    this.latency.observe(transport, Math.max(0, Date.now() - createdAt) / 1000);
  }

  heartbeat(transport: Transport): void {
    this.heartbeats[transport]++;
  }

  slowClientDisconnected(transport: Transport): void {
    this.slowDisconnects[transport].inc();
  }

  kafkaConsumed(topic: string, count = 1): void {
    this.kafkaConsumedTotal.inc({ topic }, count);
  }

  kafkaDeadLettered(topic: string, count = 1): void {
    this.kafkaDeadLetteredTotal.inc({ topic }, count);
  }

  kafkaLag(topic: string, partition: number, lag: number): void {
    this.kafkaLagGauge.set({ topic, partition: String(partition) }, lag);
  }

  /**
   * `gateway_kafka_record_age_seconds`, registered by the Kafka source for the topics it reads
   * (a replica without Kafka exports none). The age runs from the record's timestamp, the
   * producer's clock unless the topic stamps LogAppendTime, so a skewed clock shows as a constant
   * offset; a negative age counts as 0.
   */
  kafkaRecordAges(topics: readonly string[]): (topic: string, ageMs: number) => void {
    const ages = new FixedLabelHistogram(
      'gateway_kafka_record_age_seconds',
      "Time from a Kafka record's timestamp to its batch reaching this replica, by topic",
      'topic',
      topics,
      RECORD_AGE_BUCKETS,
      this.registry,
    );
    return (topic, ageMs) => ages.observe(topic, Math.max(0, ageMs) / 1000);
  }

  /** Assignments change on a rebalance: lag of partitions this replica lost must not linger. */
  kafkaRebalanced(): void {
    this.kafkaRebalancesTotal.inc();
    this.kafkaLagGauge.reset();
  }

  redisError(): void {
    this.redisErrorsTotal.inc();
  }

  /** The text exposition format, for `/metrics`. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
