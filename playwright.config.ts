// The browser tests (`pnpm test:browser`, the last step of `pnpm test`): the admin web page at
// /ui in Debian's Chromium, driven by Playwright's test runner. Everything else runs in vitest.
import { register } from 'node:module';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/admin-api/ui/chromium.js';

// `@breakwater/*` resolve to their sources here too (see test/harness/source-condition.mjs).
// Playwright loads this file in the runner and again in each worker, before any test file.
register('./test/harness/source-condition.mjs', import.meta.url);

export default defineConfig({
  testDir: 'test/admin-api/ui',
  testMatch: '**/*.spec.ts',
  // Fails the run when Chromium is missing; the harness's pid directory and orphan reaping.
  globalSetup: './test/admin-api/ui/global-setup.ts',
  // Where failures leave their screenshots and the run its ui.png (gitignored).
  outputDir: 'playwright-out',
  // One worker: the tests share one operator's tab and one set of servers (fixtures.ts), on
  // a machine of two cores shared with vitest's workers in CI.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  reporter: 'list',
  // Bounds, never expectations: on a loaded machine a test's waits add up to well under these.
  timeout: 120_000,
  expect: { timeout: 30_000 },
  use: {
    browserName: 'chromium',
    headless: true,
    // Debian's chromium (or BREAKWATER_CHROMIUM), never a build `playwright install` downloads.
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    actionTimeout: 30_000,
    navigationTimeout: 30_000,
    trace: 'off',
    screenshot: 'off',
    video: 'off',
  },
});
