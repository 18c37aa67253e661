import { type ChildProcess, fork } from 'node:child_process';
import { register } from '@breakwater/redis-harness';

/**
 * Forks one of the campaign's child processes (a TypeScript entry, run under tsx with the
 * workspace packages from source) and registers it with the harness's process registry, so
 * it is stopped with the Redis servers when the campaign exits, fails or is interrupted:
 * `stop` first, SIGKILL if that is not enough. Returns the child and the unregister call
 * (for its `exit`).
 */
export function forkRegistered(
  main: string,
  args: readonly string[],
  label: string,
  stop: () => Promise<void>,
): { readonly child: ChildProcess; readonly unregister: () => void } {
  const child = fork(main, [...args], {
    execArgv: ['--conditions=@breakwater/source', '--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const unregister = register(
    {
      label,
      stop,
      killNow: () => {
        try {
          child.kill('SIGKILL');
        } catch {
          // gone
        }
      },
    },
    child.pid,
  );
  return { child, unregister };
}
