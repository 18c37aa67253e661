// The admin web page as a test drives it (not a test file): a Playwright page plus what it
// must never do. Every wait is Playwright's auto-waiting `expect` on a DOM state, bounded
// only by playwright.config.ts's expect timeout so that a broken page fails.
import { type Browser, type BrowserContext, expect, type Locator, type Page } from '@playwright/test';

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
    await expect(this.page.locator('#dashboard')).toBeVisible();
  }

  /** No page ever ran an alert, threw, or broke its CSP. */
  expectClean(): void {
    expect(this.dialogs).toEqual([]);
    expect(this.pageErrors).toEqual([]);
    expect(this.consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
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

  cell(name: string, cell: string): Locator {
    return this.row(name).locator(`td.${cell}`);
  }

  /** Waits until the row shows this state: its `data-state`, which drives the colour, and its badge's words. */
  async expectState(name: string, state: string, label = state.replace('_', ' ')): Promise<void> {
    await expect(this.row(name)).toHaveAttribute('data-state', state);
    await expect(this.row(name).locator('.badge')).toHaveText(label);
  }

  /** Waits until a cell of the row reads exactly `text` or matches it; returns what it read. */
  async expectCell(name: string, cell: string, text: string | RegExp): Promise<string> {
    await expect(this.cell(name, cell)).toHaveText(text);
    return (await this.cell(name, cell).textContent()) ?? '';
  }

  /** Chooses a breaker from the keyboard: its name is a button in the row. */
  async select(name: string): Promise<void> {
    await this.row(name).getByRole('button', { name }).focus();
    await this.page.keyboard.press('Enter');
    await expect(this.page.locator('#detail-title')).toContainText(name);
  }

  /** Waits for the connection indicator's state: `live`, `connecting`, `reconnecting`, `offline`. */
  async expectConnection(state: string): Promise<void> {
    await expect(this.page.locator('#connection')).toHaveAttribute('data-state', state);
  }

  /** Waits until the live region has announced something containing `text`. */
  async expectAnnounced(text: string): Promise<void> {
    await expect(this.page.locator('#announcer')).toContainText(text);
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
