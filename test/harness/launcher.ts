import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
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
  launch(port: number, args: readonly string[], label: string): Promise<LaunchedRedis>;
}

const INSTALL_HINT = [
  'The Redis test harness needs a way to start Redis, and found none:',
  '  - no `redis-server` on PATH (nor BREAKWATER_REDIS_SERVER pointing at one), and',
  '  - no reachable Docker engine for testcontainers.',
  'Install Redis 7 (Debian/Ubuntu: `sudo apt-get install -y redis-server`; macOS: `brew install redis`),',
  'or start Docker, or set REDIS_URL for the tests that need only a plain Redis.',
].join('\n');

let chosen: Promise<RedisLauncher> | undefined;

/** A local binary when there is one, else Docker through testcontainers, else a clear error. */
export function resolveLauncher(): Promise<RedisLauncher> {
  chosen ??= chooseLauncher(findRedisServer(), tryDockerLauncher);
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
    async launch(_port, args) {
      // Its own empty directory per launch: nothing is shared or left between runs.
      const dir = mkdtempSync(join(tmpdir(), 'breakwater-redis-'));
      const child = spawn(binary, [...args, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
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

/**
 * Docker fallback for machines without a redis-server binary. Containers use the
 * host network so a server listens on the same port it would locally, which also
 * keeps Redis Cluster's announced addresses valid.
 */
async function tryDockerLauncher(): Promise<RedisLauncher | undefined> {
  let tc: typeof import('testcontainers');
  try {
    tc = await import('testcontainers');
    await tc.getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const image = process.env.BREAKWATER_REDIS_IMAGE ?? 'redis:7-alpine';
  return {
    kind: 'docker',
    async launch(_port, args, label) {
      const started = await new tc.GenericContainer(image)
        .withNetworkMode('host')
        .withCommand(['redis-server', ...args, '--dir', '/data'])
        .withLabels({ 'breakwater.harness': label })
        .start();
      const client = await tc.getContainerRuntimeClient();
      const container = client.container.getById(started.getId());
      let exited = false;
      let markExited: () => void = () => {};
      const exitedPromise = new Promise<void>((resolve) => {
        markExited = () => {
          exited = true;
          resolve();
        };
      });
      return {
        pid: undefined,
        pause: async () => {
          await container.pause();
        },
        resume: async () => {
          await container.unpause();
        },
        async kill() {
          if (!exited) await started.stop({ timeout: 0, remove: true }).catch(() => {});
          markExited();
        },
        exited: exitedPromise,
        hasExited: () => exited,
        output: () => `container ${started.getId()} (${image})`,
      };
    },
  };
}
