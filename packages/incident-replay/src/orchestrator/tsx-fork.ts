import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT_TSCONFIG = fileURLToPath(new URL('../../../../tsconfig.json', import.meta.url));

/**
 * Forks a TypeScript entry point under tsx, resolving the workspace packages to
 * their sources (the root tsconfig's paths), so the replay needs no build step.
 */
export function forkTs(entry: URL, args: readonly string[] = []): ChildProcess {
  return fork(fileURLToPath(entry), [...args], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: { ...process.env, TSX_TSCONFIG_PATH: ROOT_TSCONFIG },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
