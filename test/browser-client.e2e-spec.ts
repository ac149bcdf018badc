/// <reference lib="dom" />
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CONNECTION_LIMITER } from '../src/app.tokens.js';
import type { ConnectionLimiter } from '../src/connections/connection-limiter.js';
import { launchChromium } from './support/browser.js';
import {
  buildClient,
  expectPageShowsPublished,
  field,
  note,
  ROOT,
  shown,
  waitForTexts,
  waitUntilLive,
  type Outgoing,
} from './support/demo-page.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const SCREENSHOT = `${ROOT}artifacts/demo.png`;

/**
 * Every way a notification can enter the gateway; each must reach the page the same way. Kafka's
 * needs the broker of the kafka project: test/kafka/browser-kafka.e2e-spec.ts.
 */
const publishers: Record<string, (gw: TestGateway, n: Outgoing) => Promise<void>> = {
  http: async (gw, n) => {
    await gw.publish(n);
  },
};

describe('browser client in Chromium', () => {
  let gw: TestGateway;
  let browser: Browser;
  let context: BrowserContext;
  let limiter: ConnectionLimiter;

  beforeAll(async () => {
    buildClient();
    // JWT_SECRET empty: the dev profile, which serves the demo page and mints its tokens.
    gw = await startGateway({ JWT_SECRET: '', SSE_HEARTBEAT_MS: '1000' });
    limiter = gw.app.get<ConnectionLimiter>(CONNECTION_LIMITER);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
  });
  afterEach(async () => {
    await context.close();
  });

  const openDemo = async (query: string) => {
    const page = await context.newPage();
    await page.goto(`${gw.url}/?${query}`);
    return page;
  };

  it.each(Object.keys(publishers))(
    'shows a notification published over %s, and the demo page looks right',
    async (via) => {
      const user = `viewer-${via}`;
      const page = await openDemo(`user=${user}`);
      await expectPageShowsPublished(page, user, via, (n) => publishers[via](gw, n));
      if (via === 'http') {
        await page.fill('#publish [name="payload"]', '{"text": "from the form"}');
        await page.click('#publish button');
        await waitForTexts(page, ['from the form']);
        expect(await page.textContent('#publish-result')).toMatch(
          /^accepted as [a-z0-9]+-[a-z0-9]+$/,
        );
        mkdirSync(`${ROOT}artifacts`, { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
      }
    },
  );

  /** Waits until exactly one of the pages leads and the others follow it, all live. */
  const electedLeader = async (pages: Page[]): Promise<Page> => {
    await Promise.all(pages.map((p) => waitUntilLive(p)));
    const roles = await Promise.all(pages.map((p) => field(p, 'role')));
    expect([...roles].sort()).toEqual(['follower', 'follower', 'leader'].slice(3 - pages.length));
    return pages[roles.indexOf('leader')];
  };

  /** Each text exactly once, in publish order (one channel keeps the order checkable). */
  const expectExactlyOnce = async (page: Page, texts: string[]) => {
    const got = await shown(page);
    expect(got.map((s) => s.text)).toEqual(texts);
    expect(new Set(got.map((s) => s.id)).size).toBe(texts.length);
  };

  it('three tabs of one user share one server connection and all show every notification once', async () => {
    const user = 'three-tabs';
    const tabs = [];
    for (let i = 0; i < 3; i++) tabs.push(await openDemo(`user=${user}`));
    await electedLeader(tabs);
    expect(limiter.countFor(user)).toBe(1);

    const texts = Array.from({ length: 6 }, (_, i) => `tabs-${i}`);
    for (const t of texts) await publishers.http(gw, note(user, t));
    // The last one is a marker: a duplicate of an earlier one would have arrived before it.
    await Promise.all(tabs.map((p) => waitForTexts(p, texts)));
    for (const p of tabs) await expectExactlyOnce(p, texts);
    const ids = (await shown(tabs[0])).map((s) => s.id);
    for (const p of tabs) expect((await shown(p)).map((s) => s.id)).toEqual(ids);
    expect(limiter.countFor(user)).toBe(1);
  });

  it('when the leader tab closes another takes over, losing and repeating nothing', async () => {
    const user = 'hand-over';
    const tabs = [];
    for (let i = 0; i < 3; i++) tabs.push(await openDemo(`user=${user}`));
    const leader = await electedLeader(tabs);
    const before = ['before-0', 'before-1', 'before-2'];
    for (const t of before) await publishers.http(gw, note(user, t));
    await Promise.all(tabs.map((p) => waitForTexts(p, before)));

    const rest = tabs.filter((p) => p !== leader);
    // Hold the next leader's connection until the notifications below are published: they can
    // then reach the remaining tabs only through the new leader resuming from the last cursor.
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    await context.route('**/v1/notifications/stream**', async (route) => {
      await gate;
      await route.continue();
    });
    await leader.close();
    await Promise.race(
      rest.map((p) => p.waitForSelector('[data-field="role"][data-value="leader"]')),
    );
    const during = Array.from({ length: 5 }, (_, i) => `during-${i}`);
    for (const t of during) await publishers.http(gw, note(user, t));
    openGate();
    await electedLeader(rest);
    const after = ['after-0', 'after-1'];
    for (const t of after) await publishers.http(gw, note(user, t));

    const all = [...before, ...during, ...after];
    await Promise.all(rest.map((p) => waitForTexts(p, all)));
    for (const p of rest) await expectExactlyOnce(p, all);
    await pollUntil(() => limiter.countFor(user) === 1);
  });

  it('a leader tab the browser freezes hands the connection over, and queues again when it resumes', async () => {
    const user = 'frozen-leader';
    const tabs = [await openDemo(`user=${user}`), await openDemo(`user=${user}`)];
    const leader = await electedLeader(tabs);
    const other = tabs.find((p) => p !== leader)!;
    const before = ['before-0'];
    await publishers.http(gw, note(user, before[0]));
    await Promise.all(tabs.map((p) => waitForTexts(p, before)));

    // The events a browser fires when it freezes a background tab and when it wakes it. Headless
    // Chromium freezes no page (Page.setWebLifecycleState leaves it running and fires nothing),
    // so they are dispatched here; the tab keeps running, as a follower.
    await leader.evaluate(() => document.dispatchEvent(new Event('freeze')));
    await other.waitForSelector('[data-field="role"][data-value="leader"]');
    const during = ['during-0', 'during-1'];
    for (const t of during) await publishers.http(gw, note(user, t));
    await Promise.all(tabs.map((p) => waitForTexts(p, [...before, ...during])));
    expect(await field(leader, 'role')).toBe('follower');

    await leader.evaluate(() => document.dispatchEvent(new Event('resume')));
    await other.close();
    await leader.waitForSelector('[data-field="role"][data-value="leader"]');
    const after = ['after-0'];
    await publishers.http(gw, note(user, after[0]));
    const all = [...before, ...during, ...after];
    await waitForTexts(leader, all);
    await expectExactlyOnce(leader, all);
    await pollUntil(() => limiter.countFor(user) === 1);
  });

  interface InPage {
    notifications: { id: string; payload: { text: string } }[];
    resets: { id: string }[];
    status: { state: string; transport: string | null; role: string; lastEventId: string | null };
    getTokenCalls: number;
  }

  /**
   * Runs the served library directly (no demo page logic) in a page of the gateway's origin.
   * `getToken` mints a fresh token through the dev endpoint and counts its calls.
   */
  const runLibrary = async (user: string, options: Record<string, unknown>): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${gw.url}/`);
    await page.evaluate(
      async ({ user, options }) => {
        const bundle = '/client/notify-client.js';
        const { connect } = await import(bundle);
        const state = { notifications: [], resets: [], status: null, getTokenCalls: 0 };
        (window as unknown as { inPage: unknown }).inPage = state;
        const client = connect({
          url: location.origin,
          ...options,
          getToken: async () => {
            state.getTokenCalls++;
            const res = await fetch('/dev/tokens', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ userId: user }),
            });
            return ((await res.json()) as { token: string }).token;
          },
        });
        client.on('notification', (n: never) => state.notifications.push(n));
        client.on('reset', (r: never) => state.resets.push(r));
        client.on('status', (s: never) => (state.status = s));
      },
      { user, options },
    );
    return page;
  };
  const inPage = (page: Page) =>
    page.evaluate(() => (window as unknown as { inPage: InPage }).inPage);
  /** `check` runs in the page, on the state runLibrary keeps there. */
  const waitInPage = (page: Page, check: () => boolean) =>
    page.waitForFunction(check, undefined, { timeout: 15_000 });

  it('replaces an expired token through getToken and connects', async () => {
    const user = 'expiring';
    const page = await runLibrary(user, { token: await gw.token(user, { ttlSeconds: -60 }) });
    await waitInPage(page, () => {
      const { status } = (window as unknown as { inPage: InPage }).inPage;
      return status?.state === 'open' && status.lastEventId !== null;
    });
    await publishers.http(gw, note(user, 'after refresh'));
    await waitInPage(
      page,
      () => (window as unknown as { inPage: InPage }).inPage.notifications.length === 1,
    );
    const state = await inPage(page);
    expect(state.getTokenCalls).toBe(1);
    expect(state.notifications[0].payload.text).toBe('after refresh');
  });

  it('a cursor the server cannot resume yields a reset, then live notifications', async () => {
    const user = 'stale-cursor';
    const page = await runLibrary(user, { lastEventId: 'zzzzzz-1', share: false });
    await waitInPage(
      page,
      () => (window as unknown as { inPage: InPage }).inPage.resets.length === 1,
    );
    await publishers.http(gw, note(user, 'after reset'));
    await waitInPage(
      page,
      () => (window as unknown as { inPage: InPage }).inPage.notifications.length === 1,
    );
    const state = await inPage(page);
    expect(state.resets[0].id).toMatch(/^[a-z0-9]+-[a-z0-9]+$/);
    expect(state.status).toMatchObject({ state: 'open', transport: 'sse', role: 'solo' });
    expect(state.getTokenCalls).toBe(1);
  });

  it('falls back to long polling when SSE is blocked, and still receives', async () => {
    await context.route('**/v1/notifications/stream**', (route) => route.abort());
    const user = 'sse-blocked';
    const page = await openDemo(`user=${user}`);
    await waitUntilLive(page, 'longpoll');
    await publishers.http(gw, note(user, 'via long polling'));
    await publishers.http(gw, note(user, 'and another', 'orders'));
    await waitForTexts(page, ['via long polling', 'and another']);
    expect((await shown(page)).map((s) => s.text)).toEqual(['via long polling', 'and another']);
  });

  it('falls back to long polling when SSE heartbeats stop arriving in time', async () => {
    const user = 'sse-stalled';
    // The client expects a heartbeat every 300 ms; the server sends one every second, so the
    // stream looks buffered after 600 ms of silence.
    const page = await runLibrary(user, { heartbeatMs: 300, share: false });
    await waitInPage(page, () => {
      const { status } = (window as unknown as { inPage: InPage }).inPage;
      return status?.state === 'open' && status.transport === 'longpoll';
    });
    await publishers.http(gw, note(user, 'after the stall'));
    await waitInPage(
      page,
      () => (window as unknown as { inPage: InPage }).inPage.notifications.length === 1,
    );
    expect((await inPage(page)).notifications[0].payload.text).toBe('after the stall');
  });

  it('receives over WebSocket when asked, only on the subscribed channels', async () => {
    const user = 'ws-viewer';
    const page = await openDemo(`user=${user}&transport=ws&channels=chat,orders`);
    await waitUntilLive(page, 'ws');
    await publishers.http(gw, note(user, 'not subscribed', 'other'));
    await publishers.http(gw, note(user, 'over the socket'));
    await publishers.http(gw, note(user, 'an order', 'orders'));
    await waitForTexts(page, ['over the socket', 'an order']);
    expect((await shown(page)).map((s) => s.text)).toEqual(['over the socket', 'an order']);
  });

  it('over WebSocket, an expired token (close 4401) is renewed and the stream resumed', async () => {
    const user = 'ws-expiring';
    // Hold the renewal until a notification has been published while the socket is down.
    let renewalAsked!: () => void;
    const asked = new Promise<void>((r) => (renewalAsked = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await context.route('**/dev/tokens', async (route) => {
      renewalAsked();
      await gate;
      await route.continue();
    });
    const page = await runLibrary(user, {
      transport: 'ws',
      channels: ['chat'],
      token: await gw.token(user, { ttlSeconds: 2 }),
    });
    await waitInPage(page, () => {
      const { status } = (window as unknown as { inPage: InPage }).inPage;
      return status?.state === 'open' && status.lastEventId !== null;
    });
    await publishers.http(gw, note(user, 'before expiry'));
    await asked; // the server closed the socket with 4401 and the client asked for a new token
    await publishers.http(gw, note(user, 'while renewing'));
    release();
    await waitInPage(page, () => {
      const { status, getTokenCalls } = (window as unknown as { inPage: InPage }).inPage;
      return getTokenCalls === 1 && status.state === 'open';
    });
    await publishers.http(gw, note(user, 'after renewal'));
    await waitInPage(
      page,
      () => (window as unknown as { inPage: InPage }).inPage.notifications.length >= 3,
    );
    const state = await inPage(page);
    expect(state.notifications.map((n) => n.payload.text)).toEqual([
      'before expiry',
      'while renewing',
      'after renewal',
    ]);
    expect(state.status.transport).toBe('ws');
  });
});

/** For state with no event to await (a server-side counter): checks until true or the deadline. */
async function pollUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 25));
  }
}
