import { spawn, type ChildProcess } from 'node:child_process';
import { PUBLISH_SCOPE, signToken } from '../../src/auth/token-verifier.js';
import { TEST_SECRET } from './gateway.js';
import { freePort } from './redis-server.js';

const NODE = 'node_modules/.bin/node';

export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote, for failure messages. */
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

/**
 * The built service (`dist/main.js`, run `npm run build` first) as its own process, as
 * Kubernetes runs a replica: real signals, real exit.
 */
export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  const proc: ChildProcess = spawn(NODE, ['dist/main.js'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      JWT_SECRET: TEST_SECRET,
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), 20_000);
    const check = () => {
      if (!out.includes('listening on')) return;
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      resolve();
    };
    proc.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`gateway exited at start:\n${out}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid!,
    exited,
    output: () => out,
    kill: (signal) => proc.kill(signal),
  };
}

export const userToken = (sub: string) => signToken(TEST_SECRET, { sub });

/** How the tests publish; a Kafka variant can stand in for this after the Kafka branch merges. */
export type Publisher = (
  body: unknown,
) => Promise<{ results: { id: string; duplicate: boolean }[] }>;

export function httpPublisher(url: string): Publisher {
  return async (body) => {
    const token = await signToken(TEST_SECRET, { sub: 'test-publisher', scope: PUBLISH_SCOPE });
    const res = await fetch(`${url}/v1/notifications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { results: { id: string; duplicate: boolean }[] };
  };
}
