import harnessSetup from '../../harness/global-setup.js';
import { assertChromium } from './chromium.js';

/**
 * Playwright's global setup for the browser tests: fails the run at once when Chromium is
 * missing, then gives the run the harness's directory for pid files (inherited by the
 * worker through the environment), whose teardown, returned here, kills any redis-server a
 * worker that died outright left behind. Each worker stops its own servers (fixtures.ts).
 */
export default function globalSetup(): () => void {
  assertChromium();
  return harnessSetup();
}
