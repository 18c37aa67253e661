// Debian's Chromium driven by playwright-core (not a test file). Never a browser build that
// Playwright downloads: `npx playwright install` cannot reach its servers from here, and CI
// installs the distribution's package instead (.ci/run).
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** The browser: Debian's `chromium` package, or `BREAKWATER_CHROMIUM` (e.g. a Chrome on macOS). */
export const CHROMIUM_PATH = process.env.BREAKWATER_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless, without a GPU, on a machine whose only network is loopback: no sandbox (Chromium
 * refuses to start as root with it, and CI runs as root), and none of Chromium's own
 * background connections (updates, sync, field trials), which would be refused many at a time.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts Chromium, or throws saying how to install it (the tests that need it fail; none is skipped). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      [
        `The browser tests drive Chromium at ${CHROMIUM_PATH}, which does not exist.`,
        "Install Debian's package: sudo apt-get install -y chromium   (.ci/run does this on a fresh machine),",
        'or point BREAKWATER_CHROMIUM at a Chromium or Chrome binary.',
      ].join('\n'),
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}
