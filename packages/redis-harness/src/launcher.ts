import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** What the harness needs from a running redis-server, wherever it runs. */
export interface LaunchedRedis {
  readonly pid: number | undefined;
  /** Freezes the server (SIGSTOP, or `docker pause`). Connections stay open; nothing answers. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Abrupt death (SIGKILL, or `docker kill`); resolves once it has exited. */
  kill(): Promise<void>;
  /** Resolves when the server has exited, for any reason. */
  readonly exited: Promise<void>;
  hasExited(): boolean;
  /** The last lines the server printed, for error messages. */
  output(): string;
}

export interface RedisLauncher {
  readonly kind: 'local' | 'docker';
  /**
   * Starts `redis-server` with `args`. With `config`, that text is written to a
   * config file in the server's own directory and passed first (Sentinel needs
   * one it can rewrite).
   */
  launch(port: number, args: readonly string[], label: string, config?: string): Promise<LaunchedRedis>;
}

const INSTALL_HINT = [
  'The Redis harness needs a way to start Redis, and found none:',
  '  - no `redis-server` on PATH (nor BREAKWATER_REDIS_SERVER pointing at one), and',
  '  - no reachable Docker engine for testcontainers (or testcontainers is not installed).',
  'Install Redis 7 (Debian/Ubuntu: `sudo apt-get install -y redis-server`; macOS: `brew install redis`),',
  'or start Docker, or set REDIS_URL for what needs only a plain Redis (tests, the replay).',
].join('\n');

let chosen: Promise<RedisLauncher> | undefined;

/**
 * A local binary when there is one, else Docker through testcontainers (loaded
 * only then, and only if installed: it is an optional peer), else a clear error.
 */
export function resolveLauncher(): Promise<RedisLauncher> {
  chosen ??= chooseLauncher(findRedisServer(), async () => (await import('./docker-launcher.js')).tryDockerLauncher());
  return chosen;
}

export async function chooseLauncher(
  binary: string | undefined,
  docker: () => Promise<RedisLauncher | undefined>,
): Promise<RedisLauncher> {
  if (binary) return localLauncher(binary);
  const viaDocker = await docker();
  if (viaDocker) return viaDocker;
  throw new Error(INSTALL_HINT);
}

export function findRedisServer(): string | undefined {
  const explicit = process.env.BREAKWATER_REDIS_SERVER;
  if (explicit) return explicit;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function localLauncher(binary: string): RedisLauncher {
  return {
    kind: 'local',
    async launch(_port, args, _label, config) {
      // Its own empty directory per launch: nothing is shared or left between runs.
      const dir = mkdtempSync(join(tmpdir(), 'breakwater-redis-'));
      const file = join(dir, 'redis.conf');
      if (config !== undefined) writeFileSync(file, config);
      const argv = [...(config === undefined ? [] : [file]), ...args, '--dir', dir];
      const child = spawn(binary, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      const launched = wrapChild(child);
      void launched.exited.then(() => rmSync(dir, { recursive: true, force: true }));
      return launched;
    },
  };
}

function wrapChild(child: ChildProcess): LaunchedRedis {
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      lines.push(String(err));
      exited = true;
      resolve();
    });
  });
  const signal = (sig: NodeJS.Signals) => {
    if (!exited) child.kill(sig);
  };
  return {
    pid: child.pid,
    async pause() {
      signal('SIGSTOP');
    },
    async resume() {
      signal('SIGCONT');
    },
    async kill() {
      signal('SIGKILL');
      await exitedPromise;
    },
    exited: exitedPromise,
    hasExited: () => exited,
    output: () => lines.join('\n'),
  };
}
