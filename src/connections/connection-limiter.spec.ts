import { describe, expect, it } from '@jest/globals';
import { LocalConnectionLimiter, type ConnectionLease } from './connection-limiter.js';

describe('LocalConnectionLimiter', () => {
  it('enforces the per-user cap across transports', async () => {
    const l = new LocalConnectionLimiter({ perUser: 2, perProcess: 10 });
    expect((await l.admit('a', 'sse')).ok).toBe(true);
    expect((await l.admit('a', 'ws')).ok).toBe(true);
    expect(await l.admit('a', 'longpoll')).toEqual({ ok: false, reason: 'user_cap', limit: 2 });
    expect((await l.admit('b', 'sse')).ok).toBe(true);
    expect(l.byTransport()).toEqual({ sse: 2, ws: 1, longpoll: 0 });
  });

  it('enforces the per-process cap', async () => {
    const l = new LocalConnectionLimiter({ perUser: 5, perProcess: 2 });
    await l.admit('a', 'sse');
    await l.admit('b', 'sse');
    expect(await l.admit('c', 'sse')).toEqual({ ok: false, reason: 'process_cap', limit: 2 });
  });

  it('releases a slot exactly once', async () => {
    const l = new LocalConnectionLimiter({ perUser: 1, perProcess: 10 });
    const a = await l.admit('a', 'sse');
    const lease = (a as { lease: ConnectionLease }).lease;
    lease.release();
    lease.release();
    expect([l.total, l.countFor('a'), l.users]).toEqual([0, 0, 0]);
    expect((await l.admit('a', 'sse')).ok).toBe(true);
    expect(l.total).toBe(1);
  });
});
