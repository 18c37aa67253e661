import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_DIR_ENV, reapRunDir } from '@breakwater/redis-harness';

/**
 * Gives the run a directory for pid files (inherited by every test worker) and,
 * at the end, kills any redis-server a crashed worker left behind.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-harness-'));
  process.env[RUN_DIR_ENV] = dir;
  return () => {
    const reaped = reapRunDir(dir);
    if (reaped.length > 0) {
      console.warn(`[harness] reaped ${reaped.length} orphan redis-server(s): ${reaped.join(', ')}`);
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
