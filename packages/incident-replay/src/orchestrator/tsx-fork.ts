import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The export condition under which every workspace package resolves to its
 * TypeScript source (`exports["."]["@breakwater/source"]` → `./src/index.ts`).
 */
export const SOURCE_CONDITION = '@breakwater/source';

/**
 * Forks a TypeScript entry point under tsx with the source condition, so the
 * workspace packages it imports resolve to their sources through their own
 * `exports` (no tsconfig paths, no build step).
 */
export function forkTs(entry: URL, args: readonly string[] = []): ChildProcess {
  return fork(fileURLToPath(entry), [...args], {
    execArgv: [`--conditions=${SOURCE_CONDITION}`, '--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
