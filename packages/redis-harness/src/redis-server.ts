import { freePort } from './free-port.js';
import { type LaunchedRedis, resolveLauncher } from './launcher.js';
import { register } from './process-registry.js';
import { waitForPong } from './resp-ping.js';

export interface StartRedisOptions {
  /** Listen on this port instead of a free one. */
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  args?: readonly string[];
  /** How long to wait for the first PONG. @default 10_000 */
  readyTimeoutMs?: number;
}

/** A throwaway redis-server owned by the process that started it. */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number | undefined;
  /** SIGSTOP: connections stay open, nothing answers. */
  pause(): Promise<void>;
  /** SIGCONT after {@link pause}. */
  resume(): Promise<void>;
  /** Between {@link pause} and {@link resume} (or a kill). */
  isPaused(): boolean;
  /** SIGKILL; the handle stays usable for {@link restart}. */
  kill(): Promise<void>;
  /** Kills (if running) and starts a new, empty server on the same port. */
  restart(): Promise<void>;
  /** Kills the server and forgets it. Idempotent. */
  stop(): Promise<void>;
  isRunning(): boolean;
  /** The last lines the server printed (its log at `--loglevel warning`), for error messages. */
  output(): string;
}

const HOST = '127.0.0.1';

/** Arguments every harness server gets: loopback only, nothing persisted. */
export function baseArgs(port: number): string[] {
  return ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
}

/**
 * Starts a throwaway `redis-server` (local binary, else Docker) on a free port
 * and waits until it answers PING. It is registered (process-registry.ts): stopped by
 * `stopAll()` (after each test file) or when the process exits, and reaped from its
 * pid file if the process is killed outright.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  return startServer(options, []);
}

/**
 * What a topology adds to a server's start (cluster, replica, Sentinel), asked
 * again at every (re)start so a restarted node can rejoin the topology as it is now.
 */
export interface ServerRole {
  /** Shown in labels and errors. @default 'redis-server' */
  readonly kind?: string;
  /** Arguments after the base ones. */
  args(): readonly string[] | Promise<readonly string[]>;
  /** The text of a config file passed first (Sentinel needs a file it can rewrite). */
  config?(): string | Promise<string>;
  /** A password for the PONG wait (`requirepass`). */
  readonly password?: string;
}

/** Shared by {@link startRedis} and the topologies (cluster, Sentinel), which add their arguments. */
export async function startServer(
  options: StartRedisOptions,
  role: readonly string[] | ServerRole,
): Promise<RedisServer> {
  const launcher = await resolveLauncher();
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const fixedPort = options.port;
  const spec: ServerRole = isRole(role) ? role : { args: () => role };
  const kind = spec.kind ?? 'redis-server';
  let port = fixedPort ?? (await freePort());
  let current: LaunchedRedis | undefined;
  let unregister: (() => void) | undefined;
  let stopped = false;
  let paused = false;

  const launch = async (): Promise<void> => {
    const extraArgs = await spec.args();
    const config = await spec.config?.();
    for (let attempt = 0; ; attempt++) {
      const args = [...baseArgs(port), ...extraArgs, ...(options.args ?? [])];
      const launched = await launcher.launch(port, args, `${kind}:${port}`, config);
      try {
        await Promise.race([
          waitForPong(HOST, port, readyTimeoutMs, launched.output, spec.password),
          launched.exited.then(() => {
            throw new Error(`${kind} on port ${port} exited during start-up:\n${launched.output()}`);
          }),
        ]);
      } catch (err) {
        await launched.kill();
        // Another process took the port between freePort() and bind(): try another.
        if (fixedPort === undefined && attempt < 5 && /in use/i.test(launched.output())) {
          port = await freePort();
          continue;
        }
        throw err;
      }
      current = launched;
      unregister?.();
      unregister = register(handle, launched.pid);
      return;
    }
  };

  const handle = {
    host: HOST,
    get port() {
      return port;
    },
    get url() {
      return `redis://${HOST}:${port}`;
    },
    get pid() {
      return current?.pid;
    },
    get label() {
      return `${kind}:${port}`;
    },
    async pause() {
      await running().pause();
      paused = true;
    },
    async resume() {
      await running().resume();
      paused = false;
    },
    isPaused: () => paused && current !== undefined && !current.hasExited(),
    async kill() {
      if (current && !current.hasExited()) await current.kill();
      paused = false;
    },
    async restart() {
      if (stopped) throw new Error(`${kind}:${port} was stopped; start a new one`);
      await handle.kill();
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await handle.kill();
      unregister?.();
    },
    killNow() {
      if (current?.pid !== undefined && !current.hasExited()) {
        try {
          process.kill(current.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
    isRunning: () => current !== undefined && !current.hasExited(),
    output: () => current?.output() ?? '',
  };

  function running(): LaunchedRedis {
    if (!current || current.hasExited()) throw new Error(`${kind}:${port} is not running`);
    return current;
  }

  await launch();
  return handle;
}

function isRole(role: readonly string[] | ServerRole): role is ServerRole {
  return !Array.isArray(role);
}
