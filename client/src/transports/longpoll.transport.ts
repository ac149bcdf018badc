import type { Notification } from '../types.js';
import {
  errorMessage,
  joinUrl,
  retryAfterMs,
  streamQuery,
  transportLife,
  type OpenTransport,
  type TransportEnd,
} from './transport.js';

interface PollAnswer {
  notifications: Notification[];
  cursor: string;
  reset: boolean;
}

/** Slack over the server's hold time before an unanswered poll counts as stalled. */
const POLL_GRACE_MS = 10_000;

/**
 * Long polling: one request at a time, each held by the server until something is after the
 * cursor or the timeout passes. It works through proxies that buffer or break streaming.
 */
export const openLongPoll: OpenTransport = (params, sink) => {
  const abort = new AbortController();
  const life = transportLife(() => abort.abort());
  const end = (e: TransportEnd) => life.end(e);
  const timeout = params.longPollTimeoutSeconds;

  const run = async () => {
    let cursor = params.cursor;
    let opened = false;
    while (!life.stopped) {
      // The first poll asks to be answered at once: the connection is known to work (and, without
      // a cursor, has one to resume from) now rather than after a whole timeout.
      const query: Record<string, string> = { timeout: opened ? String(timeout) : '0' };
      if (cursor) query.after = cursor;
      const url = joinUrl(params.baseUrl, `/v1/notifications/poll${streamQuery(params, query)}`);
      const stall = setTimeout(() => end({ kind: 'stalled' }), timeout * 1000 + POLL_GRACE_MS);
      let res: Response;
      let answer: PollAnswer;
      try {
        res = await fetch(url, {
          headers: { authorization: `Bearer ${params.token}` },
          cache: 'no-store',
          signal: abort.signal,
        });
        if (res.status === 401) return end({ kind: 'unauthorized' });
        if (res.status === 429) {
          return end({
            kind: 'dropped',
            reason: 'too many connections',
            retryAfterMs: retryAfterMs(res),
          });
        }
        if (res.status === 400) return end({ kind: 'rejected', reason: await errorMessage(res) });
        if (!res.ok) {
          const reason = `HTTP ${res.status}`;
          return end(opened ? { kind: 'dropped', reason } : { kind: 'unavailable', reason });
        }
        answer = (await res.json()) as PollAnswer;
        if (!Array.isArray(answer?.notifications) || typeof answer.cursor !== 'string') {
          throw new TypeError('not a poll answer');
        }
      } catch {
        if (life.stopped) return;
        const reason = 'network error or unexpected answer';
        return end(opened ? { kind: 'dropped', reason } : { kind: 'unavailable', reason });
      } finally {
        clearTimeout(stall);
      }
      if (life.stopped) return;
      if (!opened) {
        opened = true;
        sink.opened();
      }
      if (answer.reset) sink.reset(answer.cursor);
      else if (answer.notifications.length === 0) sink.heartbeat();
      for (const n of answer.notifications) sink.notification(n);
      // Reported after the notifications so a tab taking over never resumes past one it missed.
      sink.cursor(answer.cursor);
      cursor = answer.cursor;
    }
  };
  void run();

  return { ended: life.ended, stop: () => life.stop() };
};
