import { type Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { RedisClient } from '../store/redis-store.js';

/**
 * The breaker's own Redis connections. A breaker must never make its caller
 * wait on Redis, so its command connection fails fast: no offline queue
 * (commands fail at once while disconnected), no per-command retries, and
 * reconnects with a capped backoff. The command timeout is not ioredis's: the
 * ClusterBreaker puts one deadline (StoreDeadline, `commandTimeoutMs`) on each
 * whole store call, redirects and NOSCRIPT retries included, and drops this
 * connection when a call overruns it. The subscriber keeps
 * an offline queue and waits for the connection however long it takes
 * (`maxRetriesPerRequest: null`), so a SUBSCRIBE sent while Redis is down is
 * sent when it returns instead of failing; the queue stays tiny (one SUBSCRIBE
 * per breaker, one PING per reconnect).
 */
export interface BreakerConnections {
  readonly command: RedisClient;
  readonly subscriber: RedisClient;
}

export function openBreakerConnections(
  redis: RedisClient | string | RedisOptions,
  commandTimeoutMs: number,
  reconnectMaxDelayMs: number,
): BreakerConnections {
  const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 10), reconnectMaxDelayMs);
  const failFast: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(1_000, commandTimeoutMs * 4),
    retryStrategy,
    lazyConnect: false,
  };
  const forSubscriber: RedisOptions = {
    ...failFast,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
  };

  let command: RedisClient;
  let subscriber: RedisClient;
  if (typeof redis === 'string') {
    command = new Redis(redis, failFast);
    subscriber = new Redis(redis, forSubscriber);
  } else if (isCluster(redis)) {
    const cluster = redis as Cluster;
    const base = cluster.options as ClusterOptions;
    const clusterOptions = (redisOptions: RedisOptions, offline: boolean): ClusterOptions => ({
      enableOfflineQueue: offline,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { ...base.redisOptions, ...redisOptions },
    });
    command = cluster.duplicate([], clusterOptions(failFast, false));
    subscriber = cluster.duplicate([], clusterOptions(forSubscriber, true));
  } else if (isRedis(redis)) {
    command = redis.duplicate(failFast);
    subscriber = redis.duplicate(forSubscriber);
  } else if (typeof redis === 'object' && redis !== null) {
    command = new Redis({ ...(redis as RedisOptions), ...failFast });
    subscriber = new Redis({ ...(redis as RedisOptions), ...forSubscriber });
  } else {
    throw new InvalidArgumentError(
      'options.redis',
      'expected an ioredis Redis or Cluster, a redis:// URL or RedisOptions',
    );
  }
  // Errors surface through failed calls and the breaker's own logging; an
  // unhandled 'error' event must never crash the pod.
  command.on('error', () => {});
  subscriber.on('error', () => {});
  return { command, subscriber };
}

export function isCluster(value: unknown): value is Cluster {
  return typeof value === 'object' && value !== null && (value as { isCluster?: unknown }).isCluster === true;
}

function isRedis(value: unknown): value is Redis {
  return (
    value instanceof Redis ||
    (typeof value === 'object' &&
      value !== null &&
      'duplicate' in value &&
      'options' in value &&
      (value as { isCluster?: unknown }).isCluster === false)
  );
}

/**
 * Commands waiting for a reply or for a connection (ioredis's command queue and
 * offline queue), summed over a cluster's nodes.
 */
export function pendingCommands(client: RedisClient): number {
  if (isCluster(client)) {
    return offline(client) + client.nodes().reduce((n, node) => n + node.commandQueue.length + offline(node), 0);
  }
  return (client as Redis).commandQueue.length + offline(client);
}

/** ioredis keeps its offline queue private; it is what grows while a connection is down. */
function offline(client: object): number {
  return (client as { offlineQueue?: { length?: number } }).offlineQueue?.length ?? 0;
}

/** Resolves once the client is ready, or false after `timeoutMs`. Never rejects. */
export function whenReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    timer.unref?.();
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}
