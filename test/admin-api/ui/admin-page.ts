// The admin web page as a test drives it (not a test file): a Playwright page plus what it
// must never do. Every wait is for a DOM state, bounded only so a broken page fails.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';

/** Bound on any one wait for the page: the time it may take, never the time it should. */
const WAIT_MS = 30_000;

export class AdminPage {
  /** `alert()`, `confirm()` or `prompt()` calls: the page makes none, so any is injected code. */
  readonly dialogs: string[] = [];
  /** Uncaught exceptions in the page. */
  readonly pageErrors: string[] = [];
  /** Console messages of level error, e.g. a CSP violation report. */
  readonly consoleErrors: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.setDefaultTimeout(WAIT_MS);
    page.on('dialog', (dialog) => {
      this.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (err) => this.pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') this.consoleErrors.push(message.text());
    });
  }

  /** A new tab in a fresh context (its own sessionStorage), at `<url>/ui`. */
  static async open(browser: Browser, url: string): Promise<AdminPage> {
    const context = await browser.newContext({ viewport: { width: 1520, height: 900 } });
    const page = await context.newPage();
    const admin = new AdminPage(context, page);
    await page.goto(`${url}/ui`);
    return admin;
  }

  async signIn(token: string): Promise<void> {
    await this.page.getByLabel('Admin API token').fill(token);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.locator('#dashboard:not([hidden])').waitFor();
  }

  /** Marks the document; {@link notReloaded} fails if a navigation replaced it since. */
  async markDocument(): Promise<void> {
    await this.page.evaluate('window.__breakwaterTestMark = "still here"');
  }

  async notReloaded(): Promise<boolean> {
    return (await this.page.evaluate('window.__breakwaterTestMark')) === 'still here';
  }

  row(name: string): Locator {
    return this.page.locator(`#breaker-rows tr[data-breaker="${name}"]`);
  }

  /** Waits until the row shows this state (its `data-state`, which drives the colour, and its text). */
  async waitForState(name: string, state: string, label = state.replace('_', ' ')): Promise<void> {
    await this.page.locator(`#breaker-rows tr[data-breaker="${name}"][data-state="${state}"]`).waitFor();
    await this.row(name).locator('.badge', { hasText: label }).waitFor();
  }

  /** Waits until a cell of the row shows text matching. */
  async waitForCell(name: string, cell: string, text: string | RegExp): Promise<string> {
    const locator = this.row(name).locator(`td.${cell}`, { hasText: text });
    await locator.waitFor();
    return (await locator.textContent()) ?? '';
  }

  /** Chooses a breaker from the keyboard: its name is a button in the row. */
  async select(name: string): Promise<void> {
    await this.row(name).getByRole('button', { name }).focus();
    await this.page.keyboard.press('Enter');
    await this.page.locator('#detail-title', { hasText: name }).waitFor();
  }

  /** The connection indicator's state: `live`, `connecting`, `reconnecting`, `offline`. */
  async waitForConnection(state: string): Promise<void> {
    await this.page.locator(`#connection[data-state="${state}"]`).waitFor();
  }

  /** The element that has keyboard focus, as `tag#id` or `tag:text`. */
  async focused(): Promise<string> {
    return this.page.evaluate(
      `(() => { const e = document.activeElement; return e ? e.tagName.toLowerCase() + (e.id ? '#' + e.id : ':' + e.textContent.trim()) : 'none'; })()`,
    );
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
