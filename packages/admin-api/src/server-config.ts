import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_REDIS_STORE_OPTIONS, InvalidArgumentError } from '@breakwater/breaker-core';
import { type AdminTokenConfig, resolveAdminTokens } from './auth/admin-token.js';
import type { RouteAccess } from './auth/route-access.js';
import { DEFAULT_ADMIN_OPTIONS } from './options.js';

/** A `host:port` from `BREAKWATER_REDIS_SENTINELS` or `BREAKWATER_REDIS_CLUSTER_NODES`. */
export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Where the breakers live: exactly one of a single Redis (`REDIS_URL`), a master
 * found through Sentinel (`BREAKWATER_REDIS_SENTINELS` + `BREAKWATER_REDIS_SENTINEL_NAME`),
 * or a Redis Cluster (`BREAKWATER_REDIS_CLUSTER_NODES`).
 */
export type AdminRedisTarget =
  | {
      /** `REDIS_URL`: a single Redis, e.g. `redis://redis:6379/0` (any password in the URL). */
      readonly redisUrl: string;
      readonly sentinel?: never;
      readonly cluster?: never;
    }
  | {
      readonly sentinel: {
        /** `BREAKWATER_REDIS_SENTINELS`: where to ask for the master. */
        readonly sentinels: readonly RedisAddress[];
        /** `BREAKWATER_REDIS_SENTINEL_NAME`: the master's name in the sentinels' config. */
        readonly name: string;
        /** `BREAKWATER_REDIS_PASSWORD`: the master's (and replicas') password. */
        readonly password?: string;
        /** `BREAKWATER_REDIS_SENTINEL_PASSWORD`: the sentinels' own password. */
        readonly sentinelPassword?: string;
      };
      readonly redisUrl?: never;
      readonly cluster?: never;
    }
  | {
      readonly cluster: {
        /** `BREAKWATER_REDIS_CLUSTER_NODES`: some of the cluster's nodes, to discover the rest. */
        readonly nodes: readonly RedisAddress[];
        /** `BREAKWATER_REDIS_PASSWORD`: the nodes' password. */
        readonly password?: string;
      };
      readonly redisUrl?: never;
      readonly sentinel?: never;
    };

/** How the standalone server is configured: every field from one environment variable. */
export type AdminServerConfig = AdminRedisTarget & AdminServerSettings;

interface AdminServerSettings {
  /**
   * `BREAKWATER_ADMIN_WAIT_REPLICAS`, 0–5: after each force-open, force-close, clear
   * and reset, wait (`WAIT`) until this many replicas have the change, so a failover
   * right after does not undo it. 0 = do not wait.
   * @default 1 with Sentinel or a Cluster, 0 with REDIS_URL
   */
  readonly waitReplicas?: number;
  /** `BREAKWATER_ADMIN_WAIT_TIMEOUT_MS`, 10–1_500: longest such a wait. @default 1_000 */
  readonly waitTimeoutMs?: number;
  /** `BREAKWATER_ADMIN_TOKENS` (JSON array) or `BREAKWATER_ADMIN_TOKENS_FILE` (path to one): exactly one. */
  readonly tokens: readonly AdminTokenConfig[];
  /** Warnings found while loading (e.g. a world-readable tokens file), to log once a logger exists. */
  readonly warnings: readonly string[];
  /** `HOST`. @default '127.0.0.1' (expose it on purpose, behind TLS) */
  readonly host: string;
  /** `PORT`, 0–65535 (0 = any free port). @default 8080 */
  readonly port: number;
  /** `BREAKWATER_KEY_PREFIX`: the pods' RedisBreakerStore prefix. @default 'bw' */
  readonly keyPrefix: string;
  /** `LOG_LEVEL`. @default 'info' */
  readonly logLevel: string;
  /** `BREAKWATER_ADMIN_METRICS_ACCESS`: public, viewer or operator. @default 'viewer' */
  readonly metricsAccess: RouteAccess;
  /** `BREAKWATER_ADMIN_RATE_BURST`, 1–10_000. @default 10 */
  readonly rateBurst: number;
  /** `BREAKWATER_ADMIN_RATE_PER_MINUTE`, 1–60_000. @default 30 */
  readonly ratePerMinute: number;
  /** `BREAKWATER_ADMIN_SHUTDOWN_TIMEOUT_MS`, 1_000–300_000: in-flight requests get this long on SIGTERM. @default 10_000 */
  readonly shutdownTimeoutMs: number;
}

export const DEFAULT_SERVER_CONFIG = Object.freeze({
  host: '127.0.0.1',
  port: 8080,
  keyPrefix: DEFAULT_REDIS_STORE_OPTIONS.prefix,
  logLevel: 'info',
  shutdownTimeoutMs: 10_000,
  /** Replicas a mutation waits for with Sentinel or a Cluster (REDIS_URL: 0). */
  waitReplicas: 1,
  waitTimeoutMs: 1_000,
});

/** The variables that say where Redis is: exactly one may be set. */
const TOPOLOGY_VARIABLES = ['REDIS_URL', 'BREAKWATER_REDIS_SENTINELS', 'BREAKWATER_REDIS_CLUSTER_NODES'] as const;
const SENTINEL_NAME_PATTERN = /^[\x21-\x7e]{1,128}$/;
const MAX_ADDRESSES = 64;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and checks the environment; throws InvalidArgumentError naming the variable to fix. */
export function loadServerConfig(
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): AdminServerConfig {
  const warnings: string[] = [];
  const target = redisTarget(env);
  const inline = env.BREAKWATER_ADMIN_TOKENS;
  const file = env.BREAKWATER_ADMIN_TOKENS_FILE;
  if ((inline === undefined || inline === '') === (file === undefined || file === '')) {
    throw new InvalidArgumentError(
      'BREAKWATER_ADMIN_TOKENS',
      'set exactly one of BREAKWATER_ADMIN_TOKENS (a JSON array of { name, role, token | sha256 }) ' +
        'and BREAKWATER_ADMIN_TOKENS_FILE (a path to such a file)',
    );
  }
  let tokens: AdminTokenConfig[];
  if (inline) {
    tokens = parseTokensJson(inline, 'BREAKWATER_ADMIN_TOKENS');
  } else {
    const path = file as string;
    let text: string;
    try {
      text = readFile(path);
    } catch (err) {
      throw new InvalidArgumentError('BREAKWATER_ADMIN_TOKENS_FILE', `cannot read ${path}: ${(err as Error).message}`);
    }
    tokens = parseTokensJson(text, `BREAKWATER_ADMIN_TOKENS_FILE (${path})`);
    if (worldReadable(path) && tokens.some((t) => t.token !== undefined)) {
      warnings.push(`tokens file ${path} is readable by every user; chmod 600 it, or store sha256 digests instead`);
    }
  }
  // Checked now, so a bad token list stops the server before it opens any connection.
  resolveAdminTokens(tokens, inline ? 'BREAKWATER_ADMIN_TOKENS' : 'BREAKWATER_ADMIN_TOKENS_FILE');
  const logLevel = env.LOG_LEVEL || DEFAULT_SERVER_CONFIG.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new InvalidArgumentError(
      'LOG_LEVEL',
      `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  }
  const metricsAccess = env.BREAKWATER_ADMIN_METRICS_ACCESS || DEFAULT_ADMIN_OPTIONS.metricsAccess;
  if (!['public', 'viewer', 'operator'].includes(metricsAccess)) {
    throw new InvalidArgumentError(
      'BREAKWATER_ADMIN_METRICS_ACCESS',
      `expected public, viewer or operator, got ${JSON.stringify(metricsAccess)}`,
    );
  }
  return {
    ...target,
    waitReplicas: intFromEnv(
      env,
      'BREAKWATER_ADMIN_WAIT_REPLICAS',
      target.redisUrl === undefined ? DEFAULT_SERVER_CONFIG.waitReplicas : 0,
      0,
      5,
    ),
    waitTimeoutMs: intFromEnv(env, 'BREAKWATER_ADMIN_WAIT_TIMEOUT_MS', DEFAULT_SERVER_CONFIG.waitTimeoutMs, 10, 1_500),
    tokens,
    warnings,
    host: env.HOST || DEFAULT_SERVER_CONFIG.host,
    port: intFromEnv(env, 'PORT', DEFAULT_SERVER_CONFIG.port, 0, 65_535),
    keyPrefix: env.BREAKWATER_KEY_PREFIX || DEFAULT_SERVER_CONFIG.keyPrefix,
    logLevel,
    metricsAccess: metricsAccess as RouteAccess,
    rateBurst: intFromEnv(env, 'BREAKWATER_ADMIN_RATE_BURST', DEFAULT_ADMIN_OPTIONS.rateLimit.burst, 1, 10_000),
    ratePerMinute: intFromEnv(
      env,
      'BREAKWATER_ADMIN_RATE_PER_MINUTE',
      DEFAULT_ADMIN_OPTIONS.rateLimit.perMinute,
      1,
      60_000,
    ),
    shutdownTimeoutMs: intFromEnv(
      env,
      'BREAKWATER_ADMIN_SHUTDOWN_TIMEOUT_MS',
      DEFAULT_SERVER_CONFIG.shutdownTimeoutMs,
      1_000,
      300_000,
    ),
  };
}

/** The one Redis topology the environment names, checked; throws naming the variable to fix. */
function redisTarget(env: NodeJS.ProcessEnv): AdminRedisTarget {
  const given = TOPOLOGY_VARIABLES.filter((name) => set(env[name]));
  if (given.length === 0) {
    throw new InvalidArgumentError(
      'REDIS_URL',
      'set it to the Redis holding the breakers (e.g. redis://redis:6379/0), or set ' +
        'BREAKWATER_REDIS_SENTINELS and BREAKWATER_REDIS_SENTINEL_NAME (Sentinel), or BREAKWATER_REDIS_CLUSTER_NODES (Cluster)',
    );
  }
  if (given.length > 1) {
    throw new InvalidArgumentError(
      given[1] as string,
      `${given.join(' and ')} are both set: set exactly one of ${TOPOLOGY_VARIABLES.join(', ')}`,
    );
  }
  const [topology] = given;
  const sentinelOnly = ['BREAKWATER_REDIS_SENTINEL_NAME', 'BREAKWATER_REDIS_SENTINEL_PASSWORD'] as const;
  if (topology !== 'BREAKWATER_REDIS_SENTINELS') {
    for (const name of sentinelOnly) {
      if (set(env[name]))
        throw new InvalidArgumentError(name, 'only goes with BREAKWATER_REDIS_SENTINELS, which is not set');
    }
  }
  const password = env.BREAKWATER_REDIS_PASSWORD;
  if (topology === 'REDIS_URL') {
    if (set(password)) {
      throw new InvalidArgumentError(
        'BREAKWATER_REDIS_PASSWORD',
        'goes with BREAKWATER_REDIS_SENTINELS or BREAKWATER_REDIS_CLUSTER_NODES; with REDIS_URL, put the password in the URL',
      );
    }
    const redisUrl = env.REDIS_URL as string;
    if (!/^rediss?:\/\//.test(redisUrl)) {
      throw new InvalidArgumentError(
        'REDIS_URL',
        'set it to the Redis holding the breakers, e.g. redis://redis:6379/0',
      );
    }
    return { redisUrl };
  }
  const withPassword = set(password) ? { password } : {};
  if (topology === 'BREAKWATER_REDIS_CLUSTER_NODES') {
    return { cluster: { nodes: addresses(env, 'BREAKWATER_REDIS_CLUSTER_NODES'), ...withPassword } };
  }
  const name = env.BREAKWATER_REDIS_SENTINEL_NAME;
  if (!set(name)) {
    throw new InvalidArgumentError(
      'BREAKWATER_REDIS_SENTINEL_NAME',
      "set it to the master's name in the sentinels' config (`sentinel monitor <name> …`), e.g. mymaster",
    );
  }
  if (!SENTINEL_NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(
      'BREAKWATER_REDIS_SENTINEL_NAME',
      `expected 1–128 printable ASCII characters without spaces, got ${JSON.stringify(name)}`,
    );
  }
  const sentinelPassword = env.BREAKWATER_REDIS_SENTINEL_PASSWORD;
  return {
    sentinel: {
      sentinels: addresses(env, 'BREAKWATER_REDIS_SENTINELS'),
      name,
      ...withPassword,
      ...(set(sentinelPassword) ? { sentinelPassword } : {}),
    },
  };
}

/** A comma-separated list of `host:port` (`[v6]:port` for IPv6 literals). */
function addresses(env: NodeJS.ProcessEnv, variable: string): RedisAddress[] {
  const items = (env[variable] ?? '').split(',').map((item) => item.trim());
  const expected = 'a comma-separated list of host:port (e.g. redis-0:26379,redis-1:26379; [::1]:26379 for IPv6)';
  if (items.length > MAX_ADDRESSES) {
    throw new InvalidArgumentError(variable, `expected at most ${MAX_ADDRESSES} addresses, got ${items.length}`);
  }
  return items.map((item) => {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(item);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) {
      throw new InvalidArgumentError(variable, `expected ${expected}, got ${JSON.stringify(item)}`);
    }
    return { host: (match[1] ?? match[2]) as string, port };
  });
}

function set(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function parseTokensJson(text: string, source: string): AdminTokenConfig[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Never echo the text: it holds secrets.
    throw new InvalidArgumentError(source, 'is not valid JSON; expected an array of { name, role, token | sha256 }');
  }
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(source, 'expected a JSON array of { name, role, token | sha256 }');
  }
  return value as AdminTokenConfig[];
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(name, `expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return value;
}

function worldReadable(path: string): boolean {
  try {
    return (statSync(path).mode & 0o004) !== 0;
  } catch {
    return false;
  }
}
