/**
 * A real Apache Kafka broker (one KRaft node, broker and controller in one JVM) from its own jars,
 * for tests and local runs: no Docker on these machines. Plain TypeScript with no relative imports,
 * so Node runs it directly (type stripping) and Jest imports it.
 *
 *   node scripts/kafka/broker.ts fetch   download the jars into .cache/kafka/libs (idempotent)
 *   node scripts/kafka/broker.ts start [--port 9092]
 *       start a broker (port 0: any free one), print KAFKA_BROKERS=..., run until Ctrl-C
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const POM = join(ROOT, 'scripts/kafka/pom.xml');
export const KAFKA_LIBS = join(ROOT, '.cache/kafka/libs');
const STARTED = 'Kafka Server started';
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

export interface KafkaBroker {
  /** The KAFKA_BROKERS value: `127.0.0.1:<port>`. */
  readonly brokers: string;
  /** PID of the running JVM (undefined while stopped). */
  readonly pid: number | undefined;
  /** Temp folder with the properties, the data and broker.log. */
  readonly dir: string;
  /** Controlled shutdown (SIGTERM), waiting for the JVM to exit. Keeps the data. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: no controlled shutdown. Keeps the data. */
  kill(): Promise<void>;
  /** Starts the stopped broker again on the same ports and data. */
  start(): Promise<void>;
  /** Stops it and deletes its folder. */
  destroy(): Promise<void>;
}

function need(cmd: string, args: string[], install: string): void {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new Error(`Kafka test broker: \`${cmd}\` is not available. ${install}`);
  }
}

/** Downloads Kafka's jars with Maven once per pom; later calls find them in the cache. */
export function ensureKafkaJars(): string {
  need(
    'java',
    ['-version'],
    'Install a Java 17+ runtime, e.g. `apt-get install openjdk-17-jre-headless`.',
  );
  // The marker holds the pom's hash: a version bump in the pom fetches afresh.
  const complete = join(KAFKA_LIBS, '.complete');
  const pomHash = createHash('sha256').update(readFileSync(POM)).digest('hex');
  if (readText(complete) === pomHash) return KAFKA_LIBS;
  need('mvn', ['-v'], 'Install Maven, e.g. `apt-get install maven`, to fetch the Kafka jars.');
  rmSync(KAFKA_LIBS, { recursive: true, force: true });
  mkdirSync(KAFKA_LIBS, { recursive: true });
  const r = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '--no-transfer-progress',
      '-f',
      POM,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${KAFKA_LIBS}`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0 || !readdirSync(KAFKA_LIBS).some((f) => f.startsWith('kafka_2.13-'))) {
    throw new Error(
      `Kafka test broker: fetching the jars with Maven failed (${POM}):\n${r.stdout}${r.stderr}`,
    );
  }
  writeFileSync(complete, pomHash);
  return KAFKA_LIBS;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const srv = createServer();
    srv.once('error', () => ok(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => ok(true)));
  });
}

/** Kafka's cluster id format (Uuid.toString): 16 random bytes, base64url, never starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties(dir: string, port: number, controllerPort: number): string {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${join(dir, 'data')}
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.enable=false
`;
}

const LOG4J = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.Kafka=INFO
`;

/** Starts fast and small, for tests: a broker per test suite. */
const TEST_JVM = ['-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
/** What Kafka's own kafka-server-start.sh runs a broker with (its heap and GC settings). */
const PRODUCTION_JVM = [
  '-Xms1g',
  '-Xmx1g',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
];

function java(libs: string, dir: string, args: string[], jvm = TEST_JVM): string[] {
  return [
    ...jvm,
    `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
    `-Dkafka.logs.dir=${dir}`,
    '-cp',
    join(libs, '*'),
    ...args,
  ];
}

/**
 * Kills the JVM if this Node process dies without stopping it (a killed test run), so no broker
 * outlives its owner. It reads our pipe; EOF means we are gone. The folder check guards PID reuse.
 */
function watchdog(pid: number, dir: string): ChildProcess {
  const script = `while read -r _; do :; done; grep -qaF -- "$1" /proc/${pid}/cmdline 2>/dev/null && kill -KILL ${pid}`;
  const w = spawn('bash', ['-c', script, 'watchdog', dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  w.unref();
  return w;
}

/** Starts a fresh single-node broker on free 127.0.0.1 ports (or the given client port). */
export async function startKafkaBroker(
  options: {
    port?: number;
    /** `production` (the benchmark): Kafka's own heap and GC settings instead of the test ones. */
    jvm?: 'test' | 'production';
  } = {},
): Promise<KafkaBroker> {
  const libs = ensureKafkaJars();
  if (options.port && !(await portFree(options.port))) {
    throw new Error(`port ${options.port} is in use (another broker?); --port 0 picks a free one`);
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'kafka-test-'));
    try {
      const jvm = options.jvm === 'production' ? PRODUCTION_JVM : TEST_JVM;
      return await launch(libs, dir, options.port || (await freePort()), jvm);
    } catch (err) {
      lastError = err;
      await rm(dir, { recursive: true, force: true });
      // Another process may have taken a port between our probe and the JVM's bind: try new ones.
      if (options.port || !String(err).includes('Address already in use')) break;
    }
  }
  throw lastError;
}

async function launch(
  libs: string,
  dir: string,
  port: number,
  jvm: string[],
): Promise<KafkaBroker> {
  const controllerPort = await freePort();
  const props = join(dir, 'server.properties');
  await writeFile(props, serverProperties(dir, port, controllerPort));
  await writeFile(join(dir, 'log4j.properties'), LOG4J);
  const format = spawnSync(
    'java',
    java(libs, dir, ['kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', props]),
    { encoding: 'utf8' },
  );
  if (format.status !== 0) {
    throw new Error(`Kafka StorageTool format failed:\n${format.stdout}${format.stderr}`);
  }

  let child: ChildProcess | undefined;
  let guard: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const logPath = join(dir, 'broker.log');

  const start = async () => {
    const log = createWriteStream(logPath, { flags: 'a' });
    const proc = spawn('java', java(libs, dir, ['kafka.Kafka', props], jvm), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child = proc;
    guard = watchdog(proc.pid!, dir);
    exited = new Promise((done) => proc.once('exit', () => done()));
    proc.stderr!.pipe(log, { end: false });
    const lines = createInterface({ input: proc.stdout! });
    const started = new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => {
        fail(new Error(`Kafka did not start within ${START_TIMEOUT_MS} ms (log: ${logPath})`));
      }, START_TIMEOUT_MS);
      lines.on('line', (line) => {
        log.write(line + '\n');
        if (line.includes(STARTED)) {
          clearTimeout(timer);
          ok();
        }
      });
      proc.once('exit', async (code) => {
        clearTimeout(timer);
        const tail = (await readFile(logPath, 'utf8').catch(() => '')).slice(-4000);
        fail(new Error(`Kafka exited with code ${code} before starting:\n${tail}`));
      });
    });
    exited.then(() => {
      guard?.stdin?.end();
      log.end();
    });
    try {
      await started;
    } catch (err) {
      await halt('SIGKILL');
      throw err;
    }
  };

  const halt = async (signal: 'SIGTERM' | 'SIGKILL') => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    child = undefined;
  };

  await start();
  return {
    brokers: `127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    dir,
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    async destroy() {
      await halt('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function cli(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string', default: '9092' } },
  });
  const command = positionals[0];
  if (command === 'fetch') {
    console.log(`Kafka jars in ${ensureKafkaJars()}`);
    return;
  }
  if (command !== 'start') {
    console.error('usage: node scripts/kafka/broker.ts fetch | start [--port 9092]');
    process.exitCode = 2;
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port: 0-65535');
  const broker = await startKafkaBroker({ port });
  console.log(`Kafka ${broker.brokers} running (pid ${broker.pid}, log ${broker.dir}/broker.log).`);
  console.log(`KAFKA_BROKERS=${broker.brokers}`);
  console.log('Ctrl-C stops it and deletes its data.');
  const shutdown = () => {
    broker.destroy().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (import.meta.main) {
  cli(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
