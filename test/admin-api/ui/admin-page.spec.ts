import { copyFile } from 'node:fs/promises';
import { AS_OPERATOR, AS_VIEWER, SECRETS } from '../admin-fixtures.js';
import { expect, test } from './fixtures.js';

/**
 * The web page at /ui in Debian's Chromium (playwright.config.ts), against the admin API on
 * a real port over a real Redis, with a real ClusterBreaker pod on `pusher` (fixtures.ts).
 * The tests run in order and share one operator's tab, as an SRE keeps one open through an
 * incident; after a failure the rest do not run.
 *
 * The stores' clock reads 3 h 17 min behind the browser's and moves only when a test moves
 * it. Nothing waits for time to pass: every wait is Playwright's auto-waiting `expect` on a
 * state of the DOM, or `expect.poll` on the pod's.
 */
test.describe.configure({ mode: 'serial' });

/** docs/ui.png, written from the run's screenshot when BREAKWATER_WRITE_SCREENSHOT=1. */
const DOCS_SCREENSHOT = new URL('../../../docs/ui.png', import.meta.url);

test.beforeAll(async ({ servers }) => {
  const { store } = servers;
  // billing: tripped by two pods' failures, with a cooldown long enough to watch it count down.
  await store.register('billing', { cooldownMs: 600_000, maxCooldownMs: 600_000 });
  await store.record('billing', 'pod-a', { failures: 14, successes: 2 });
  await store.record('billing', 'pod-b', { failures: 12, successes: 1 });
  // search: tripped, then half-open with pod-c holding the probe lease.
  await store.register('search', { cooldownMs: 1_000, probeLeaseMs: 600_000 });
  await store.record('search', 'pod-c', { failures: 30, successes: 0 });
  servers.advance(1_000);
  expect((await store.acquireProbe('search', 'pod-c')).granted).toBe(true);
});

test.afterEach(async ({ operator }, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    // What the operator's tab showed when the test failed, beside the error in playwright-out/.
    const path = testInfo.outputPath('operator-tab.png');
    await operator.page.screenshot({ path, fullPage: true });
    await testInfo.attach('operator-tab', { path, contentType: 'image/png' });
  }
  operator.expectClean();
});

test('lists every breaker with its state in colour and in words, window, failing pods, probe holder and cooldown', async ({
  operator: admin,
}) => {
  await admin.expectConnection('live');
  await admin.expectState('billing', 'open');
  await admin.expectState('pusher', 'closed');
  await admin.expectState('search', 'half_open', 'half-open');
  await expect(admin.cell('billing', 'window')).toHaveText('26 failed / 3 ok');
  await expect(admin.cell('billing', 'pods')).toHaveText('2');
  await expect(admin.cell('search', 'probe')).toHaveText(/^pod-c, (9|10)m \d\ds$/);
  // The cooldown counts down on the store's clock (3 h behind this browser's): minutes, not hours or "due".
  await expect(admin.cell('billing', 'cooldown')).toHaveText(/^(9|10)m \d\ds$/);
  await expect(admin.cell('pusher', 'override')).toHaveText('automatic');

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

test('an operator forces pusher open from the page, after a confirmation; the pod obeys and the page follows without a reload', async ({
  operator: admin,
  servers: { pod },
}, testInfo) => {
  const { page } = admin;
  await admin.markDocument();
  await admin.select('pusher');
  // The audit timeline of a breaker nobody touched yet; focus moved to the details.
  await expect(page.locator('#audit-status')).toContainText('No entries yet.');
  await expect(page.locator('#detail-title')).toBeFocused();

  await page.getByLabel('Reason').fill('pusher 5xx since 14:02, INC-123');
  await page.getByLabel('Override for').fill('10s');
  const forceOpen = page.getByRole('button', { name: 'Force open…' });
  await forceOpen.click();

  // A modal confirmation, focus on its harmless choice; Escape cancels and changes nothing.
  const dialog = page.getByRole('alertdialog', { name: 'Force pusher open?' });
  await expect(dialog).toBeVisible();
  await expect(page.locator('#confirm-cancel')).toBeFocused();
  await expect(dialog).toContainText('pusher 5xx since 14:02, INC-123');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(forceOpen).toBeFocused();
  expect(pod.state).toBe('closed');

  // Again, confirmed from the keyboard this time.
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.locator('#confirm-ok')).toBeFocused();
  await page.keyboard.press('Enter');

  // The real pod hears it through Redis pub/sub.
  await expect.poll(() => pod.state, { message: 'the pod is forced open' }).toBe('forced_open');
  expect(pod.allow()).toBe(false);
  // Who, why and until when follow from the read the message triggers.
  await expect.poll(() => pod.snapshot.override, { message: "the pod read the override's details" }).not.toBeNull();
  expect(pod.snapshot.override).toMatchObject({ actor: 'olga', reason: 'pusher 5xx since 14:02, INC-123' });

  await admin.expectState('pusher', 'forced_open');
  await expect(admin.cell('pusher', 'override')).toHaveText(/^forced open by olga, \d+s left/);
  await expect(page.locator('#audit li.action-force_open', { hasText: 'by olga' })).toBeVisible();
  await admin.expectAnnounced('pusher forced open: now forced open.');
  await expect(forceOpen).toBeFocused();
  expect(await admin.notReloaded()).toBe(true);

  // The README's picture: the run's own screenshot, kept with its output.
  const screenshot = testInfo.outputPath('ui.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  await testInfo.attach('ui', { path: screenshot, contentType: 'image/png' });
  if (process.env.BREAKWATER_WRITE_SCREENSHOT === '1') await copyFile(screenshot, DOCS_SCREENSHOT);
});

test('counts the override down, then shows pusher back on automatic when it lapses', async ({
  operator: admin,
  servers,
}) => {
  // The countdown moves: a reading, then another one (each waited for, not timed).
  const first = await admin.expectCell('pusher', 'override', /\d+s left/);
  const seconds = Number(/(\d+)s left/.exec(first)?.[1]);
  expect(seconds).toBeLessThanOrEqual(10);
  await expect(admin.cell('pusher', 'override')).toHaveText(new RegExp(`by olga, (?!${seconds}s)\\d+s left`));

  // The store's clock passes the expiry. A read of the breaker applies the lapse (as the
  // pod's own timer or the page would, in real time) and publishes it: the page hears it.
  servers.advance(10_000);
  expect((await servers.api('GET', '/v1/breakers/pusher', AS_VIEWER)).body).toMatchObject({
    state: 'closed',
    override: null,
  });
  await admin.expectState('pusher', 'closed');
  await expect(admin.cell('pusher', 'override')).toHaveText('automatic');
  await expect(admin.page.locator('#audit li.action-override_expired', { hasText: 'by system' })).toBeVisible();
  await admin.expectAnnounced('pusher: override expired by system');
  await expect.poll(() => servers.pod.state, { message: 'the pod is back on automatic' }).toBe('closed');
  expect(await admin.notReloaded()).toBe(true);
});

test('shows what the pods do, through the stream alone: a trip of pusher by its pod', async ({
  operator: admin,
  servers: { pod },
}) => {
  // The page may read nothing but the stream from here on: any other read of a breaker fails.
  const blocked = /\/v1\/breakers(\/[^/]+)?$/;
  await admin.page.route(blocked, (route) => route.abort());
  try {
    for (let i = 0; i < 25; i++) pod.recordFailure();
    await expect.poll(() => pod.state, { message: 'the pod tripped the breaker' }).toBe('open');
    await admin.expectState('pusher', 'open');
    await expect(admin.cell('pusher', 'window')).toHaveText('25 failed / 0 ok');
    await expect(admin.cell('pusher', 'pods')).toHaveText('1');
    await admin.expectAnnounced('pusher: tripped by pod-0 (closed → open)');
    await expect(admin.page.locator('#audit li.action-trip', { hasText: 'by pod-0' })).toBeVisible();
  } finally {
    await admin.page.unroute(blocked);
  }
});

test('a viewer sees the same page without any control, and a mutation crafted with its token gets 403', async ({
  openPage,
  servers,
}) => {
  const admin = await openPage(SECRETS.viewer);
  const { page } = admin;
  await admin.expectState('billing', 'open');
  await expect(page.locator('#who-role')).toContainText('viewer');
  await admin.select('billing');
  await expect(page.locator('#audit li.action-trip')).toBeVisible();
  await expect(page.locator('#action-form, #reason, #ttl, button[data-action]')).toHaveCount(0);
  for (const name of [/force/i, /clear/i, /reset/i]) await expect(page.getByRole('button', { name })).toHaveCount(0);

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
  expect((await servers.api('GET', '/v1/breakers/billing', AS_VIEWER)).body.state).toBe('open');
  // The token is in this tab's sessionStorage only: never in the URL.
  expect(page.url()).toBe(`${servers.url}/ui`);
});

test('shows a reason full of markup as text, in the list, the details and the audit; no script runs', async ({
  operator: admin,
  servers,
}) => {
  const { page } = admin;
  const reason = '<img src=x onerror=alert(1)><script>alert(2)</script>"\'&amp;';
  const forced = await servers.api('POST', '/v1/breakers/search/force-close', AS_OPERATOR, {
    reason,
    ttlSeconds: 600,
  });
  expect(forced.status).toBe(200);
  await admin.expectState('search', 'forced_closed');
  await expect(admin.row('search').locator('.override-reason')).toHaveText(reason);
  await admin.select('search');
  await expect(page.locator('#audit li.action-force_close q')).toHaveText(reason);
  await expect(page.locator('#detail-facts dd', { hasText: 'onerror' })).toHaveText(reason);
  await admin.expectAnnounced('search: forced closed by olga');
  // Nothing in the page became an element: no <img>, no <script> but the page's own module.
  await expect(page.locator('img')).toHaveCount(0);
  await expect(page.locator('script')).toHaveCount(1);

  // And the CSP holds on its own: an inline script injected into the page does not run.
  await page.addScriptTag({ content: 'window.__inlineRan = true' }).catch(() => {});
  expect(await page.evaluate('window.__inlineRan === true')).toBe(false);
  await expect
    .poll(() => admin.consoleErrors.filter((e) => /Content Security Policy/.test(e)), {
      message: 'the CSP violation is reported',
    })
    .toHaveLength(1);
  admin.consoleErrors.length = 0; // that violation was the test's own
  expect(admin.dialogs).toEqual([]);
});

test('clears an override and resets a breaker from the page, each after its confirmation', async ({
  operator: admin,
  servers: { pod },
}) => {
  const { page } = admin;
  // search is forced closed (the test before): clearing needs no reason.
  await admin.select('search');
  await page.getByRole('button', { name: 'Clear override…' }).click();
  await expect(page.getByRole('alertdialog', { name: 'Clear the override on search?' })).toBeVisible();
  await page.getByRole('button', { name: 'Clear override', exact: true }).click();
  await admin.expectState('search', 'half_open', 'half-open');
  await expect(admin.cell('search', 'override')).toHaveText('automatic');
  await expect(page.locator('#audit li.action-clear_override', { hasText: 'by olga' })).toBeVisible();

  // pusher is open (its pod tripped it): a reset needs a reason, and says so.
  await admin.select('pusher');
  await page.getByRole('button', { name: 'Reset…' }).click();
  await expect(page.locator('#action-error')).toContainText('Give a reason');
  await expect(page.getByLabel('Reason')).toBeFocused();
  await page.getByLabel('Reason').fill('pusher recovered, INC-123 closed');
  await page.getByRole('button', { name: 'Reset…' }).click();
  await expect(page.getByRole('alertdialog', { name: 'Reset pusher?' })).toBeVisible();
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await admin.expectState('pusher', 'closed');
  await expect.poll(() => pod.state, { message: 'the pod follows the reset' }).toBe('closed');
  await expect(page.locator('#audit li.action-reset', { hasText: 'pusher recovered, INC-123 closed' })).toBeVisible();
});

test('resumes the stream with Last-Event-ID after the admin API restarts on the same port, replaying what it missed', async ({
  operator: admin,
  servers,
}) => {
  const { page } = admin;
  const streams: (string | undefined)[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/v1/events') streams.push(request.headers()['last-event-id']);
  });

  await servers.restartAdmin(async () => {
    await admin.expectConnection('reconnecting');
    await admin.expectAnnounced('Live updates interrupted; reconnecting.');
    // While the API is down, another SRE forces billing open with the CLI of another admin API.
    await servers.store.forceOpen('billing', { reason: 'while the page was cut off', actor: 'bob', ttlMs: 600_000 });
  });

  await admin.expectConnection('live');
  await admin.expectState('billing', 'forced_open');
  await admin.expectAnnounced('While disconnected, billing: forced open by bob');
  await admin.expectAnnounced('Live updates restored. 1 change while disconnected.');
  // Every reconnection named the last event the page had.
  expect(streams.length).toBeGreaterThan(0);
  for (const id of streams) expect(id).toMatch(/^\d+-\d+:[a-z]+$/);
  expect(await admin.notReloaded()).toBe(true);
});
