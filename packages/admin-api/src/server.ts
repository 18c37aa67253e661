import { InvalidArgumentError } from '@breakwater/breaker-core';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildAdminApp } from './app.js';
import { DEFAULT_ADMIN_OPTIONS } from './options.js';
import { type AdminServerConfig, DEFAULT_SERVER_CONFIG, loadServerConfig } from './server-config.js';
import { connectAdminRedis } from './server-redis.js';
import { ReplicatedStore } from './server-replicated-store.js';
import { VERSION } from './version.js';

export { ADMIN_REDIS_OPTIONS } from './server-redis.js';

export interface RunningAdminServer {
  readonly app: FastifyInstance;
  /** `http://host:port` it listens on. */
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish, then closes the Redis connection. */
  close(): Promise<void>;
}

/**
 * Starts the standalone admin API: Redis store (single, Sentinel or Cluster), metrics,
 * readiness, listening on `host:port`.
 */
export async function startAdminServer(config: AdminServerConfig, logger: Logger): Promise<RunningAdminServer> {
  const targets = [config.redisUrl, config.sentinel, config.cluster].filter((t) => t !== undefined);
  if (targets.length !== 1) {
    throw new InvalidArgumentError('config', 'give exactly one of redisUrl, sentinel and cluster');
  }
  for (const warning of config.warnings) logger.warn(warning);
  const redis = connectAdminRedis(config);
  const { client, mutations } = redis;
  // One warning per outage, not one per reconnect attempt. The URL may hold a password: never logged.
  let outageReported = false;
  client.on('ready', () => {
    outageReported = false;
    logger.info('redis ready');
  });
  client.on('error', (err: Error) => {
    if (outageReported) return;
    outageReported = true;
    logger.warn({ err: { message: err.message } }, 'redis unavailable; /readyz answers 503 until it returns');
  });
  mutations.on('error', () => {}); // the same outage, reported above; mutations answer 503
  const store = new ReplicatedStore({
    client,
    mutations,
    prefix: config.keyPrefix,
    replicas: config.waitReplicas ?? (config.redisUrl === undefined ? DEFAULT_SERVER_CONFIG.waitReplicas : 0),
    timeoutMs: config.waitTimeoutMs ?? DEFAULT_SERVER_CONFIG.waitTimeoutMs,
    logger,
  });
  let app: FastifyInstance;
  let url: string;
  try {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'breakwater_admin_' });
    app = buildAdminApp({
      store,
      tokens: config.tokens,
      logger,
      registry,
      readiness: redis.readiness,
      metricsAccess: config.metricsAccess,
      rateLimit: { burst: config.rateBurst, perMinute: config.ratePerMinute },
    });
    url = await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    // Nothing may keep the process alive after a failed start.
    await store.close();
    for (const c of [client, mutations]) {
      c.removeAllListeners('error').on('error', () => {});
      c.disconnect();
    }
    throw err;
  }
  logger.info(
    { url, redis: redis.description, keyPrefix: config.keyPrefix, tokens: config.tokens.length },
    'breakwater-admin listening',
  );
  return {
    app,
    url,
    async close() {
      await app.close();
      await store.close();
      await Promise.all([client, mutations].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/** What `breakwater-admin --help` prints: the whole configuration is the environment. */
export const ADMIN_SERVER_USAGE = `Usage: breakwater-admin [--help | --version]

Serves the Breakwater admin API (HTTP, bearer tokens) over the breakers in Redis.
Configured by environment variables only; a bad one stops it before it connects (exit 2).

  REDIS_URL                              the Redis holding the breakers (redis:// or rediss://)     exactly one
  BREAKWATER_REDIS_SENTINELS             or: host:port,host:port of the sentinels                   of these
  BREAKWATER_REDIS_SENTINEL_NAME         with it: the master's name in the sentinels' config        three
  BREAKWATER_REDIS_CLUSTER_NODES         or: host:port,... of some Redis Cluster nodes
  BREAKWATER_REDIS_PASSWORD              the Redis password (Sentinel or Cluster)                   none
  BREAKWATER_REDIS_SENTINEL_PASSWORD     the sentinels' own password                                none
  BREAKWATER_ADMIN_TOKENS                the tokens: JSON [{ name, role, token | sha256 }, ...]     one of
  BREAKWATER_ADMIN_TOKENS_FILE           a file holding that array (chmod 600, or sha256 only)     these two
  HOST                                   address to bind                                           ${DEFAULT_SERVER_CONFIG.host}
  PORT                                   port, 0-65535 (0: any free port)                          ${DEFAULT_SERVER_CONFIG.port}
  BREAKWATER_KEY_PREFIX                  the pods' key prefix                                      ${DEFAULT_SERVER_CONFIG.keyPrefix}
  LOG_LEVEL                              fatal, error, warn, info, debug, trace, silent            ${DEFAULT_SERVER_CONFIG.logLevel}
  BREAKWATER_ADMIN_METRICS_ACCESS        who may read /metrics: public, viewer, operator          ${DEFAULT_ADMIN_OPTIONS.metricsAccess}
  BREAKWATER_ADMIN_RATE_BURST            mutations a token may make at once, 1-10000               ${DEFAULT_ADMIN_OPTIONS.rateLimit.burst}
  BREAKWATER_ADMIN_RATE_PER_MINUTE       sustained mutations per minute per token, 1-60000         ${DEFAULT_ADMIN_OPTIONS.rateLimit.perMinute}
  BREAKWATER_ADMIN_SHUTDOWN_TIMEOUT_MS   grace for in-flight requests on SIGTERM, 1000-300000      ${DEFAULT_SERVER_CONFIG.shutdownTimeoutMs}

Routes, tokens and metrics: packages/admin-api/README.md, or GET /docs once it runs.
`;

/**
 * The `breakwater-admin` bin: configuration from the environment, graceful
 * shutdown on SIGTERM / SIGINT. `--help` and `--version` print and return
 * without starting anything.
 */
export async function runAdminServer(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = [],
): Promise<void> {
  const [flag, ...extra] = argv;
  if (flag === '--help' || flag === '-h') {
    process.stdout.write(ADMIN_SERVER_USAGE);
    return;
  }
  if (flag === '--version' || flag === '-V') {
    process.stdout.write(`breakwater-admin ${VERSION}\n`);
    return;
  }
  if (flag !== undefined || extra.length > 0) {
    process.stderr.write(
      `breakwater-admin: unexpected argument ${JSON.stringify(flag)}; it is configured by environment (see --help)\n`,
    );
    process.exitCode = 2;
    return;
  }
  let config: AdminServerConfig;
  try {
    config = loadServerConfig(env);
  } catch (err) {
    process.stderr.write(`breakwater-admin: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const logger = pino({
    level: config.logLevel,
    base: { service: 'breakwater-admin' },
    // Nothing here logs headers; this is the belt to that pair of braces.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.token'], censor: '[redacted]' },
  });
  let server: RunningAdminServer;
  try {
    server = await startAdminServer(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: finishing in-flight requests');
    const deadline = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    server.close().then(
      () => {
        logger.info('stopped');
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        clearTimeout(deadline);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
