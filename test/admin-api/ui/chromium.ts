// Debian's Chromium, which Playwright drives (not a test file). Never a browser build that
// Playwright downloads: `playwright install` cannot reach its servers from here, and CI
// installs the distribution's package instead (.ci/run).
import { existsSync } from 'node:fs';

/** The browser: Debian's `chromium` package, or `BREAKWATER_CHROMIUM` (e.g. a Chrome on macOS). */
export const CHROMIUM_PATH = process.env.BREAKWATER_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless, without a GPU, on a machine whose only network is loopback: no sandbox (Chromium
 * refuses to start as root with it, and CI runs as root), and none of Chromium's own
 * background connections (updates, sync, field trials), which would be refused many at a time.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Throws, saying how to install it, when the browser is absent (the run fails; nothing is skipped). */
export function assertChromium(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  throw new Error(
    [
      `The browser tests drive Chromium at ${CHROMIUM_PATH}, which does not exist.`,
      "Install Debian's package: sudo apt-get install -y chromium   (.ci/run does this on a fresh machine),",
      'or point BREAKWATER_CHROMIUM at a Chromium or Chrome binary. `playwright install` is not used.',
    ].join('\n'),
  );
}
