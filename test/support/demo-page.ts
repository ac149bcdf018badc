/// <reference lib="dom" />
import { expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** Reading and driving the demo page (client/demo) in a real browser, for every browser test. */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Builds the client bundle the gateway serves and the demo page loads. */
export function buildClient(): void {
  execFileSync(process.execPath, [`${ROOT}client/build.mjs`], { stdio: 'inherit' });
}

export interface Outgoing {
  userId: string;
  channel: string;
  type: string;
  payload: { text: string };
}

export const note = (userId: string, text: string, channel = 'chat'): Outgoing => ({
  userId,
  channel,
  type: 'message.created',
  payload: { text },
});

export interface Shown {
  id: string;
  channel: string;
  type: string;
  text: string;
}

/** What the demo page shows, in arrival order per channel. */
export const shown = (page: Page): Promise<Shown[]> =>
  page.$$eval('#channels li', (items) =>
    items.map((li) => ({
      id: (li as HTMLElement).dataset.id!,
      channel: (li.closest('section') as HTMLElement).dataset.channel!,
      type: li.querySelector('strong')!.textContent!,
      text: (JSON.parse(li.querySelector('.payload')!.textContent!) as { text: string }).text,
    })),
  );

export const waitForTexts = (page: Page, texts: string[]) =>
  page.waitForFunction(
    (wanted) => {
      const got = new Set(
        [...document.querySelectorAll('#channels li .payload')].map(
          (el) => (JSON.parse(el.textContent!) as { text: string }).text,
        ),
      );
      return wanted.every((t) => got.has(t));
    },
    texts,
    { timeout: 15_000 },
  );

export const field = (page: Page, name: string) =>
  page.locator(`#status [data-field="${name}"]`).getAttribute('data-value');

/** Connected, and the cursor known: from here on nothing published can be missed. */
export const waitUntilLive = (page: Page, transport?: string) =>
  page.waitForFunction(
    (t) => {
      const v = (name: string) =>
        document.querySelector<HTMLElement>(`#status [data-field="${name}"]`)?.dataset.value;
      return v('state') === 'open' && v('lastEventId') !== '–' && (!t || v('transport') === t);
    },
    transport,
    { timeout: 15_000 },
  );

/**
 * With the demo page open as `user` in its only tab: once it is live over SSE, notifications
 * published through `publish` (`via` names the way in) show on the page, in their channels and
 * in order, and one for another user does not. With Kafka this holds when the topic has one
 * partition (order across keys).
 */
export async function expectPageShowsPublished(
  page: Page,
  user: string,
  via: string,
  publish: (n: Outgoing) => Promise<void>,
): Promise<void> {
  await waitUntilLive(page, 'sse');
  expect(await field(page, 'role')).toBe('leader');
  // Published first: had it reached this page, it would show before the two awaited below.
  await publish(note('someone-else', 'not for this user'));
  await publish(note(user, `hello over ${via}`));
  await publish(note(user, 'your order shipped', 'orders'));
  await waitForTexts(page, [`hello over ${via}`, 'your order shipped']);
  const got = await shown(page);
  expect(got).toEqual([
    {
      id: expect.stringMatching(/^[a-z0-9]+-[a-z0-9]+$/),
      channel: 'chat',
      type: 'message.created',
      text: `hello over ${via}`,
    },
    {
      id: expect.any(String),
      channel: 'orders',
      type: 'message.created',
      text: 'your order shipped',
    },
  ]);
  expect(await field(page, 'lastEventId')).toBe(got[1].id);
}
