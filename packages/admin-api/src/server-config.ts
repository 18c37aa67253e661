import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_REDIS_STORE_OPTIONS, InvalidArgumentError } from '@breakwater/breaker-core';
import { type AdminTokenConfig, resolveAdminTokens } from './auth/admin-token.js';
import type { RouteAccess } from './auth/route-access.js';
import { DEFAULT_ADMIN_OPTIONS } from './options.js';

/** How the standalone server is configured: every field from one environment variable. */
export interface AdminServerConfig {
  /** `REDIS_URL` (required): the Redis holding the breakers, e.g. `redis://redis:6379/0`. */
  readonly redisUrl: string;
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
});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and checks the environment; throws InvalidArgumentError naming the variable to fix. */
export function loadServerConfig(
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): AdminServerConfig {
  const warnings: string[] = [];
  const redisUrl = env.REDIS_URL;
  if (!redisUrl || !/^rediss?:\/\//.test(redisUrl)) {
    throw new InvalidArgumentError('REDIS_URL', 'set it to the Redis holding the breakers, e.g. redis://redis:6379/0');
  }
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
    redisUrl,
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
