import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAdminApp } from '@breakwater/admin-api';
import { type ClusterBreaker, createClusterBreaker, RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { acquireRedis, type TestRedis, waitUntil } from '../../harness/index.js';
import { AS_OPERATOR, AS_VIEWER, SECRETS, tokenConfig } from '../admin-fixtures.js';
import { AdminPage } from './admin-page.js';
import { launchChromium } from './chromium.js';

/**
 * The web page at /ui in Debian's Chromium, against the admin API on a real port over a
 * real Redis, with a real ClusterBreaker pod on `pusher`. The tests run in order and
 * share one operator's tab, as an SRE keeps one open through an incident.
 *
 * The stores' clock (the admin API's and the pod's RedisBreakerStore, which the Lua
 * scripts take instead of Redis TIME) is the test's: it reads 3 h 17 min behind the
 * browser's, so a countdown the page gets right is one it computed on the store's clock,
 * and it moves only when the test moves it, so an override lapses exactly when the test
 * says. Nothing waits for time to pass: every wait is for a state of the DOM or of the pod.
 */

/** The run's screenshot; copied to docs/ui.png when BREAKWATER_WRITE_SCREENSHOT=1. */
const SCREENSHOT = join(tmpdir(), `breakwater-ui-${process.pid}.png`);
const DOCS_SCREENSHOT = new URL('../../../docs/ui.png', import.meta.url);

let now = Date.now() - (3 * 3_600_000 + 17 * 60_000);
const clock = () => now;

let redis: TestRedis;
const clients: Redis[] = [];
let store: RedisBreakerStore;
let app: ReturnType<typeof buildAdminApp>;
let url: string;
let pod: ClusterBreaker;
let browser: Browser;
/** The operator's tab, open from the first test to the last. */
let operator: AdminPage;
const pages: AdminPage[] = [];

/** The admin API on a real port: 0 for any, or the port it had, to restart it in place. */
async function startAdmin(port: number): Promise<void> {
  app = buildAdminApp({ store, tokens: tokenConfig(Date.now()) });
  url = await app.listen({ host: '127.0.0.1', port });
}

function redisClient(): Redis {
  const client = new Redis(redis.url);
  clients.push(client);
  return client;
}

async function openPage(token: string): Promise<AdminPage> {
  const admin = await AdminPage.open(browser, url);
  pages.push(admin);
  await admin.signIn(token);
  return admin;
}

/** The API as another SRE's script calls it. */
async function api(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  redis = await acquireRedis('admin-ui');
  store = new RedisBreakerStore({ client: redisClient(), prefix: redis.prefix, clock });
  // billing: tripped by two pods' failures, with a cooldown long enough to watch it count down.
  await store.register('billing', { cooldownMs: 600_000, maxCooldownMs: 600_000 });
  await store.record('billing', 'pod-a', { failures: 14, successes: 2 });
  await store.record('billing', 'pod-b', { failures: 12, successes: 1 });
  // search: tripped, then half-open with pod-c holding the probe lease.
  await store.register('search', { cooldownMs: 1_000, probeLeaseMs: 600_000 });
  await store.record('search', 'pod-c', { failures: 30, successes: 0 });
  now += 1_000;
  expect((await store.acquireProbe('search', 'pod-c')).granted).toBe(true);
  // pusher: a real pod, on its own Redis connections.
  pod = await createClusterBreaker({
    name: 'pusher',
    store: new RedisBreakerStore({ client: redisClient(), subscriber: redisClient(), prefix: redis.prefix, clock }),
    podId: 'pod-0',
    clock,
  });
  await startAdmin(0);
  browser = await launchChromium();
});

afterEach(async () => {
  for (const admin of pages) {
    // No page ever ran an alert, threw, or broke its CSP.
    expect(admin.dialogs).toEqual([]);
    expect(admin.pageErrors).toEqual([]);
    expect(admin.consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  }
  // Only the operator's tab stays open for the next test.
  for (const admin of pages.splice(0).filter((p) => p !== operator)) await admin.close();
  if (operator) pages.push(operator);
});

afterAll(async () => {
  for (const admin of pages) await admin.close().catch(() => {});
  await browser?.close();
  await pod?.close();
  await app?.close();
  await store?.close();
  for (const client of clients) client.disconnect();
  await redis?.release();
});

it('lists every breaker with its state in colour and in words, window, failing pods, probe holder and cooldown', async () => {
  operator = await openPage(SECRETS.operator);
  const admin = operator;
  await admin.waitForConnection('live');
  await admin.waitForState('billing', 'open');
  await admin.waitForState('pusher', 'closed');
  await admin.waitForState('search', 'half_open', 'half-open');
  expect(await admin.row('billing').locator('td.window').textContent()).toBe('26 failed / 3 ok');
  expect(await admin.row('billing').locator('td.pods').textContent()).toBe('2');
  expect(await admin.row('search').locator('td.probe').textContent()).toMatch(/^pod-c, (9|10)m \d\ds$/);
  // The cooldown counts down on the store's clock (3 h behind this browser's): minutes, not hours or "due".
  expect(await admin.row('billing').locator('td.cooldown').textContent()).toMatch(/^(9|10)m \d\ds$/);
  expect(await admin.row('pusher').locator('td.override').textContent()).toBe('automatic');

  // Colour carries the state too, never alone: each state its own badge background.
  const colours = await Promise.all(
    ['billing', 'pusher', 'search'].map((name) =>
      admin
        .row(name)
        .locator('.badge')
        .evaluate((e) => e.ownerDocument.defaultView?.getComputedStyle(e).backgroundColor),
    ),
  );
  expect(new Set(colours).size).toBe(3);
});

it('an operator forces pusher open from the page, after a confirmation; the pod obeys and the page follows without a reload', async () => {
  const admin = operator;
  const { page } = admin;
  await admin.markDocument();
  await admin.select('pusher');
  // The audit timeline of a breaker nobody touched yet; focus moved to the details.
  await page.locator('#audit-status', { hasText: 'No entries yet.' }).waitFor();
  expect(await admin.focused()).toBe('h2#detail-title');

  await page.getByLabel('Reason').fill('pusher 5xx since 14:02, INC-123');
  await page.getByLabel('Override for').fill('10s');
  await page.getByRole('button', { name: 'Force open…' }).click();

  // A modal confirmation, focus on its harmless choice; Escape cancels and changes nothing.
  const dialog = page.getByRole('alertdialog', { name: 'Force pusher open?' });
  await dialog.waitFor();
  expect(await admin.focused()).toBe('button#confirm-cancel');
  expect(await dialog.textContent()).toContain('pusher 5xx since 14:02, INC-123');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  expect(await admin.focused()).toBe('button:Force open…');
  expect(pod.state).toBe('closed');

  // Again, confirmed from the keyboard this time.
  await page.keyboard.press('Enter');
  await dialog.waitFor();
  await page.keyboard.press('Tab');
  expect(await admin.focused()).toBe('button#confirm-ok');
  await page.keyboard.press('Enter');

  // The real pod hears it through Redis pub/sub.
  await waitUntil(() => pod.state === 'forced_open', { what: 'the pod is forced open' });
  expect(pod.allow()).toBe(false);
  // Who, why and until when follow from the read the message triggers.
  await waitUntil(() => pod.snapshot.override !== null, { what: "the pod read the override's details" });
  expect(pod.snapshot.override).toMatchObject({ actor: 'olga', reason: 'pusher 5xx since 14:02, INC-123' });

  await admin.waitForState('pusher', 'forced_open');
  await admin.waitForCell('pusher', 'override', /^forced open by olga, \d+s left/);
  await page.locator('#audit li.action-force_open', { hasText: 'by olga' }).waitFor();
  await page.locator('#announcer', { hasText: 'pusher forced open: now forced open.' }).waitFor();
  expect(await admin.focused()).toBe('button:Force open…');
  expect(await admin.notReloaded()).toBe(true);

  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  if (process.env.BREAKWATER_WRITE_SCREENSHOT === '1') await copyFile(SCREENSHOT, DOCS_SCREENSHOT);
});

it('counts the override down, then shows pusher back on automatic when it lapses', async () => {
  const admin = operator;
  // The countdown moves: a reading, then another one (each waited for, not timed).
  const first = await admin.waitForCell('pusher', 'override', /\d+s left/);
  const seconds = Number(/(\d+)s left/.exec(first)?.[1]);
  expect(seconds).toBeLessThanOrEqual(10);
  await admin.waitForCell('pusher', 'override', new RegExp(`by olga, (?!${seconds}s)\\d+s left`));

  // The store's clock passes the expiry. A read of the breaker applies the lapse (as the
  // pod's own timer or the page would, in real time) and publishes it: the page hears it.
  now += 10_000;
  expect((await api('GET', '/v1/breakers/pusher', AS_VIEWER)).body).toMatchObject({ state: 'closed', override: null });
  await admin.waitForState('pusher', 'closed');
  await admin.waitForCell('pusher', 'override', /^automatic$/);
  await admin.page.locator('#audit li.action-override_expired', { hasText: 'by system' }).waitFor();
  await admin.page.locator('#announcer', { hasText: 'pusher: override expired by system' }).waitFor();
  await waitUntil(() => pod.state === 'closed', { what: 'the pod is back on automatic' });
  expect(await admin.notReloaded()).toBe(true);
});

it('shows what the pods do, through the stream alone: a trip of pusher by its pod', async () => {
  const admin = operator;
  // The page may read nothing but the stream from here on: any other read of a breaker fails.
  const blocked = /\/v1\/breakers(\/[^/]+)?$/;
  await admin.page.route(blocked, (route) => route.abort());
  try {
    for (let i = 0; i < 25; i++) pod.recordFailure();
    await waitUntil(() => pod.state === 'open', { what: 'the pod tripped the breaker' });
    await admin.waitForState('pusher', 'open');
    await admin.waitForCell('pusher', 'window', /^25 failed \/ 0 ok$/);
    await admin.waitForCell('pusher', 'pods', /^1$/);
    await admin.page.locator('#announcer', { hasText: 'pusher: tripped by pod-0 (closed → open)' }).waitFor();
    await admin.page.locator('#audit li.action-trip', { hasText: 'by pod-0' }).waitFor();
  } finally {
    await admin.page.unroute(blocked);
  }
});

it('a viewer sees the same page without any control, and a mutation crafted with its token gets 403', async () => {
  const admin = await openPage(SECRETS.viewer);
  const { page } = admin;
  await admin.waitForState('billing', 'open');
  await page.locator('#who-role', { hasText: 'viewer' }).waitFor();
  await admin.select('billing');
  await page.locator('#audit li.action-trip').waitFor();
  expect(await page.locator('#action-form, #reason, #ttl, button[data-action]').count()).toBe(0);
  for (const name of [/force/i, /clear/i, /reset/i]) expect(await page.getByRole('button', { name }).count()).toBe(0);

  // The token the page holds, used by hand from the page's own origin: the API refuses it.
  const crafted = await page.evaluate(`(async () => {
    const token = sessionStorage.getItem('breakwater-admin-token');
    const res = await fetch('v1/breakers/billing/force-close', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'viewer trying', ttlSeconds: 60 }),
    });
    return { status: res.status, body: await res.json() };
  })()`);
  expect(crafted).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
  expect((await api('GET', '/v1/breakers/billing', AS_VIEWER)).body.state).toBe('open');
  // The token is in this tab's sessionStorage only: never in the URL.
  expect(page.url()).toBe(`${url}/ui`);
});

it('shows a reason full of markup as text, in the list, the details and the audit; no script runs', async () => {
  const admin = operator;
  const { page } = admin;
  const reason = '<img src=x onerror=alert(1)><script>alert(2)</script>"\'&amp;';
  const forced = await api('POST', '/v1/breakers/search/force-close', AS_OPERATOR, { reason, ttlSeconds: 600 });
  expect(forced.status).toBe(200);
  await admin.waitForState('search', 'forced_closed');
  expect(await admin.row('search').locator('.override-reason').textContent()).toBe(reason);
  await admin.select('search');
  await page.locator('#audit li.action-force_close').waitFor();
  expect(await page.locator('#audit li.action-force_close q').textContent()).toBe(reason);
  expect(await page.locator('#detail-facts dd', { hasText: 'onerror' }).textContent()).toBe(reason);
  await page.locator('#announcer', { hasText: 'search: forced closed by olga' }).waitFor();
  // Nothing in the page became an element: no <img>, no <script> but the page's own module.
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.locator('script').count()).toBe(1);

  // And the CSP holds on its own: an inline script injected into the page does not run.
  await page.addScriptTag({ content: 'window.__inlineRan = true' }).catch(() => {});
  expect(await page.evaluate('window.__inlineRan === true')).toBe(false);
  expect(admin.consoleErrors.filter((e) => /Content Security Policy/.test(e))).toHaveLength(1);
  admin.consoleErrors.length = 0; // that violation was the test's own
  expect(admin.dialogs).toEqual([]);
});

it('clears an override and resets a breaker from the page, each after its confirmation', async () => {
  const admin = operator;
  const { page } = admin;
  // search is forced closed (the test before): clearing needs no reason.
  await admin.select('search');
  await page.getByRole('button', { name: 'Clear override…' }).click();
  await page.getByRole('alertdialog', { name: 'Clear the override on search?' }).waitFor();
  await page.getByRole('button', { name: 'Clear override', exact: true }).click();
  await admin.waitForState('search', 'half_open', 'half-open');
  await admin.waitForCell('search', 'override', /^automatic$/);
  await page.locator('#audit li.action-clear_override', { hasText: 'by olga' }).waitFor();

  // pusher is open (its pod tripped it): a reset needs a reason, and says so.
  await admin.select('pusher');
  await page.getByRole('button', { name: 'Reset…' }).click();
  await page.locator('#action-error', { hasText: 'Give a reason' }).waitFor();
  expect(await admin.focused()).toBe('input#reason');
  await page.getByLabel('Reason').fill('pusher recovered, INC-123 closed');
  await page.getByRole('button', { name: 'Reset…' }).click();
  await page.getByRole('alertdialog', { name: 'Reset pusher?' }).waitFor();
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await admin.waitForState('pusher', 'closed');
  await waitUntil(() => pod.state === 'closed', { what: 'the pod follows the reset' });
  await page.locator('#audit li.action-reset', { hasText: 'pusher recovered, INC-123 closed' }).waitFor();
});

it('resumes the stream with Last-Event-ID after the admin API restarts on the same port, replaying what it missed', async () => {
  const admin = operator;
  const { page } = admin;
  const streams: (string | undefined)[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/v1/events') streams.push(request.headers()['last-event-id']);
  });
  const port = Number(new URL(url).port);

  await app.close();
  await admin.waitForConnection('reconnecting');
  await page.locator('#announcer', { hasText: 'Live updates interrupted; reconnecting.' }).waitFor();
  // While the API is down, another SRE forces billing open with the CLI of another admin API.
  await store.forceOpen('billing', { reason: 'while the page was cut off', actor: 'bob', ttlMs: 600_000 });
  await startAdmin(port);

  await admin.waitForConnection('live');
  await admin.waitForState('billing', 'forced_open');
  await page.locator('#announcer', { hasText: 'While disconnected, billing: forced open by bob' }).waitFor();
  await page.locator('#announcer', { hasText: 'Live updates restored. 1 change while disconnected.' }).waitFor();
  // Every reconnection named the last event the page had.
  expect(streams.length).toBeGreaterThan(0);
  for (const id of streams) expect(id).toMatch(/^\d+-\d+:[a-z]+$/);
  expect(await admin.notReloaded()).toBe(true);
});
