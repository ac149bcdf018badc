import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { formatEventId, newEpoch, type Cursor } from '../cursor/event-id.js';
import { StoredNotification, type NotificationInput } from '../notifications/notification.js';
import { APPEND_SCRIPT, HEAD_SCRIPT, READ_SCRIPT } from '../redis/redis-history.scripts.js';
import { decodeMember } from '../redis/redis-notification.encoding.js';
import type { AppendResult, HistoryStore, ReadOptions, ReadResult } from './history-store.js';
import { StoreUnavailableError } from './store-unavailable.error.js';

export interface RedisHistoryLimits {
  readonly maxPerUser: number;
  readonly ttlSeconds: number;
  readonly dedupeTtlSeconds: number;
  readonly dedupeLogWindow: number;
}

/** Members fetched per round trip while filling a page (filtered channels may need several). */
const CHUNK = 256;
/** Seconds a publisher is asked to wait when Redis is down. */
const RETRY_AFTER_SECONDS = 1;

type ScriptRunner = (script: string, sha: string, args: (string | number)[]) => Promise<unknown>;

/**
 * History, numbering and dedupe in Redis, shared by every replica: one EVALSHA per batch does
 * everything (see redis-history.scripts.ts), so a client resumes on any replica. Same semantics
 * as MemoryHistoryStore; HISTORY_MAX_USERS and DEDUPE_MAX_KEYS do not apply: idle streams and
 * dedupe keys expire in Redis instead.
 */
export class RedisHistoryStore implements HistoryStore {
  private readonly prefix: string;
  private readonly run: ScriptRunner;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly limits: RedisHistoryLimits,
  ) {
    this.prefix = prefix;
    this.run = scriptRunner(redis);
  }

  async append(batch: readonly NotificationInput[]): Promise<AppendResult[]> {
    if (batch.length === 0) return [];
    const args: (string | number)[] = [
      this.prefix,
      newEpoch(),
      this.limits.maxPerUser,
      this.limits.ttlSeconds * 1000,
      this.limits.dedupeTtlSeconds,
      this.limits.dedupeLogWindow,
      batch.length,
    ];
    for (const n of batch) {
      const at = n.logPosition;
      args.push(n.dedupeKey ?? '', at?.log ?? '', at?.offset ?? 0);
      args.push(n.ttlSeconds ?? 0, n.channel, n.type, n.payloadJson);
      args.push(n.userIds?.length ?? 0, ...(n.userIds ?? []));
    }
    const reply = (await this.run(APPEND_SCRIPT, APPEND_SHA, args)) as string[];
    const epoch = reply[0];
    return batch.map((input, i) => {
      const [kind, seq] = reply[i + 2].split('|');
      return { id: formatEventId(epoch, Number(seq)), duplicate: kind === 'dup' };
    });
  }

  async read(userId: string, after: Cursor | null, options: ReadOptions): Promise<ReadResult> {
    const [epoch, seqText, nowText, floorText, own, all] = (await this.run(READ_SCRIPT, READ_SHA, [
      this.prefix,
      newEpoch(),
      userId,
      after?.seq ?? 0,
      CHUNK,
      this.limits.ttlSeconds * 1000,
    ])) as [string, string, string, string, string[], string[]];
    const seq = Number(seqText);
    const now = Number(nowText);
    const reset: ReadResult = { kind: 'reset', head: formatEventId(epoch, seq) };
    const oldest = now - this.limits.ttlSeconds * 1000;
    // Without a cursor (an inbox listing) there is nothing to reset: aged ones are just skipped.
    if (after) {
      if (after.epoch !== epoch || after.seq > seq || after.seq < Number(floorText)) return reset;
      // What MemoryHistoryStore trims on read: a retained notification past the history TTL.
      const aged = (m: string[]) =>
        m.length > 0 && decodeMember(epoch, m[0], null).createdAt < oldest;
      if (aged(own) || aged(all)) return reset;
    }
    const wanted = (n: StoredNotification) =>
      n.createdAt >= oldest &&
      (n.expiresAt === 0 || n.expiresAt > now) &&
      (options.channels === null || options.channels.has(n.channel));
    const want = options.limit + 1;
    const [mine, broadcast] = await Promise.all([
      this.collect(`h:u:${userId}`, epoch, userId, own, want, wanted),
      this.collect('h:b', epoch, null, all, want, wanted),
    ]);
    const merged = mergeBySeq(mine, broadcast);
    return {
      kind: 'events',
      events: merged.slice(0, options.limit),
      hasMore: merged.length > options.limit,
    };
  }

  async head(): Promise<string> {
    const [epoch, seq] = (await this.run(HEAD_SCRIPT, HEAD_SHA, [this.prefix, newEpoch()])) as [
      string,
      string,
    ];
    return formatEventId(epoch, Number(seq));
  }

  /** Not tracked in Redis mode: counting would cost a scan; Redis's own INFO reports memory. */
  size(): number {
    return 0;
  }

  async close(): Promise<void> {}

  /**
   * Everything retained for these users and the broadcast after `afterSeq`, oldest first, each
   * addressed to the one user whose stream held it. The feed uses it to catch up after its
   * subscription was interrupted.
   */
  async since(
    userIds: readonly string[],
    afterSeq: number,
  ): Promise<{ epoch: string; notifications: StoredNotification[] }> {
    const epoch = (await this.head()).split('-')[0];
    const streams = [...userIds.map((u) => [`h:u:${u}`, u] as const), ['h:b', null] as const];
    const pages = await Promise.all(
      streams.map(([key, user]) =>
        this.collect(key, epoch, user, [], Number.MAX_SAFE_INTEGER, () => true, afterSeq),
      ),
    );
    return { epoch, notifications: pages.flat().sort((a, b) => a.seq - b.seq) };
  }

  /** Up to `want` wanted notifications of one stream, starting with the page already read. */
  private async collect(
    stream: string,
    epoch: string,
    userId: string | null,
    first: string[],
    want: number,
    wanted: (n: StoredNotification) => boolean,
    afterSeq?: number,
  ): Promise<StoredNotification[]> {
    const out: StoredNotification[] = [];
    let page = first;
    let last = afterSeq;
    for (;;) {
      if (last !== undefined) {
        page = await this.redis.zrangebyscore(
          this.prefix + stream,
          `(${last}`,
          '+inf',
          'LIMIT',
          0,
          CHUNK,
        );
      }
      for (const member of page) {
        const n = decodeMember(epoch, member, userId);
        if (wanted(n)) out.push(n);
        last = n.seq;
        if (out.length >= want) return out;
      }
      if (page.length < CHUNK) return out;
    }
  }
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const APPEND_SHA = sha1(APPEND_SCRIPT);
const READ_SHA = sha1(READ_SCRIPT);
const HEAD_SHA = sha1(HEAD_SCRIPT);

/**
 * EVALSHA, sending the script only when Redis does not know it (first use, or after a restart).
 * Any failure to reach Redis becomes a StoreUnavailableError: nothing was stored.
 */
function scriptRunner(redis: Redis): ScriptRunner {
  return async (script, sha, args) => {
    try {
      return await redis.evalsha(sha, 0, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) {
        throw new StoreUnavailableError(RETRY_AFTER_SECONDS, { cause: err });
      }
      try {
        return await redis.eval(script, 0, ...args);
      } catch (err2) {
        throw new StoreUnavailableError(RETRY_AFTER_SECONDS, { cause: err2 });
      }
    }
  };
}

/** Merges two seq-ordered lists (a user's stream and the broadcast). */
function mergeBySeq(a: StoredNotification[], b: StoredNotification[]): StoredNotification[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: StoredNotification[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(a[i].seq < b[j].seq ? a[i++] : b[j++]);
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}
