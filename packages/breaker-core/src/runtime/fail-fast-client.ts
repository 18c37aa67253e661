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
 *
 * Both follow the master when Redis fails over (see {@link followTheMaster}):
 * behind Sentinel they leave the old master as soon as a sentinel announces the
 * switch, and any connection that finds itself on a replica (a `READONLY` reply)
 * reconnects, which asks the sentinels again. A Cluster follows its slots'
 * masters on its own (MOVED, slot refreshes).
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
  const connectTimeout = Math.max(1_000, commandTimeoutMs * 4);
  const failFast: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout,
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
    const follow = followTheMaster(connectTimeout, retryStrategy);
    command = outliveFailovers(new Redis(redis, { ...failFast, ...follow }), retryStrategy);
    subscriber = outliveFailovers(new Redis(redis, { ...forSubscriber, ...follow }), retryStrategy);
  } else if (isCluster(redis)) {
    // The cluster's own slot map follows failovers (MOVED, refreshes); its nodes fail fast like the rest.
    const cluster = redis as Cluster;
    const base = cluster.options as ClusterOptions;
    const clusterOptions = (redisOptions: RedisOptions, offline: boolean): ClusterOptions => ({
      enableOfflineQueue: offline,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { ...base.redisOptions, ...redisOptions },
    });
    // No ready check on the command connection: see FAIL_FAST_CLUSTER_READY.
    command = guardClusterSubscriber(
      cluster.duplicate([], { ...clusterOptions(failFast, false), ...FAIL_FAST_CLUSTER_READY }),
    );
    subscriber = guardClusterSubscriber(cluster.duplicate([], clusterOptions(forSubscriber, true)));
  } else if (isRedis(redis)) {
    const follow = followTheMaster(connectTimeout, retryStrategy);
    command = outliveFailovers(redis.duplicate({ ...failFast, ...follow }), retryStrategy);
    subscriber = outliveFailovers(redis.duplicate({ ...forSubscriber, ...follow }), retryStrategy);
  } else if (typeof redis === 'object' && redis !== null) {
    const follow = followTheMaster(connectTimeout, retryStrategy);
    command = outliveFailovers(new Redis({ ...(redis as RedisOptions), ...failFast, ...follow }), retryStrategy);
    subscriber = outliveFailovers(
      new Redis({ ...(redis as RedisOptions), ...forSubscriber, ...follow }),
      retryStrategy,
    );
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

/**
 * A fail-fast Cluster connection (no offline queue) is ready as soon as it has the slot map:
 * no `CLUSTER INFO` ready check. ioredis sends that check to a node picked at random, and
 * with the cluster's offline queue off it refuses to send it to a node whose connection is
 * still opening ("Connection is closed."), which on a cluster with replicas is often the
 * case right after the slot refresh (learning that a node is a replica, ioredis sends it
 * READONLY, which opens its connection). A failed check is a whole reconnect on the cluster
 * backoff, which doubles and is only reset once ready: after the breaker dropped the
 * connection on a timeout, a pod whose Redis answered within milliseconds waited seconds
 * for 'ready', and so for its rejoin (found by `pnpm chaos`: 13 of 15 divergences were pods
 * on a Cluster kept on their fallback 2–9 s; test/breaker-core/runtime/cluster-rejoin.test.ts).
 * What the check guarded (`cluster_state:fail`) the breaker's calls see anyway: they fail
 * with `CLUSTERDOWN` and the pod stays on, or goes to, its local breaker.
 */
export const FAIL_FAST_CLUSTER_READY = { enableReadyCheck: false } as const satisfies ClusterOptions;

/** What ioredis's Cluster pub/sub helper (ClusterSubscriber, private) is to us. */
interface ClusterSubscriberLike {
  selectSubscriber(): void;
  subscriber: Redis | null;
}

/**
 * Bounds what ioredis's Cluster subscriber helper leaves on a dead socket. Every Cluster
 * (commands too) keeps one pub/sub connection of its own, and picks a new one whenever that
 * one ends, its node leaves the pool or the cluster reconnects; each time it disconnects the
 * last connection whose subscriptions succeeded, again and again while no new one succeeds
 * (a path that resets every connection: many times a second). Each `disconnect()` of an
 * ioredis connection adds a `close` listener to its socket, so that dead socket collected one
 * per pick (`MaxListenersExceededWarning: 11 close listeners added to [Socket]` after every
 * cut, found by `pnpm chaos`; test/breaker-core/runtime/cluster-rejoin.test.ts). Those
 * connections are never reconnected (ioredis makes a new one), so each is disconnected once
 * and later disconnects are no-ops. A no-op if ioredis's internals do not look as expected.
 */
export function guardClusterSubscriber<C extends Cluster>(cluster: C): C {
  const helper = (cluster as unknown as { subscriber?: Partial<ClusterSubscriberLike> }).subscriber;
  if (typeof helper?.selectSubscriber !== 'function') return cluster;
  const select = helper.selectSubscriber.bind(helper);
  helper.selectSubscriber = () => {
    select();
    const picked = helper.subscriber;
    if (picked) disconnectOnce(picked);
  };
  return cluster;
}

const ONCE = Symbol('breakwater.disconnect-once');

/** Makes `client.disconnect()` act once; it is never reconnected after that. */
function disconnectOnce(client: Redis): void {
  const marked = client as Redis & { [ONCE]?: true };
  if (marked[ONCE]) return;
  marked[ONCE] = true;
  const disconnect = client.disconnect.bind(client);
  let done = false;
  client.disconnect = (reconnect = false) => {
    if (done) return;
    done = true;
    disconnect(reconnect);
  };
}

/**
 * What the breaker's own connections to a single Redis or a Sentinel-managed
 * master add, so they follow the master through a failover. ioredis applies the
 * Sentinel ones only when `sentinels` are configured.
 *
 * - `role: 'master'`: the breaker writes; a replica would refuse every call.
 * - `failoverDetector`: subscribe to `+switch-master` on the sentinels and
 *   reconnect at once. Without it, after a `SENTINEL FAILOVER` the connections
 *   stay on the old master, which the sentinels leave a writable master until
 *   they next read its INFO (~10 s): a trip written there is lost when it is
 *   made a replica.
 * - `sentinelCommandTimeout` (the connect timeout): a sentinel that accepts the
 *   connection but never answers (stalled) must not stop the reconnect from
 *   asking the next one; ioredis's default waits forever.
 * - `sentinelRetryStrategy` / `sentinelReconnectStrategy`: the breaker's capped
 *   backoff when no sentinel answers, and for the failover detector's own
 *   sentinel connections (ioredis's default retries those once a minute).
 * - `reconnectOnError` on `READONLY`: a connection that finds itself on a
 *   replica (an old master demoted under it, a DNS name moved) drops the
 *   connection and reconnects (asking the sentinels again); the call that got
 *   the reply still fails, and the pod falls back until the connection is ready.
 */
export function followTheMaster(connectTimeout: number, retryStrategy: (times: number) => number): RedisOptions {
  return {
    role: 'master',
    failoverDetector: true,
    sentinelCommandTimeout: connectTimeout,
    sentinelRetryStrategy: retryStrategy,
    sentinelReconnectStrategy: retryStrategy,
    reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 1 : false),
  };
}

/**
 * Connects again after an end nobody asked for. ioredis ends a connection for good
 * (status `end`, no more reconnects) when its connector abandons a connect in
 * progress, and its own Sentinel failover detector does that: a `+switch-master`
 * heard by the detector of the connection that just broke, while the reconnect is
 * still asking the sentinels for the master (a stalled sentinel in front makes
 * that likely; test/breaker-core/runtime/sentinel-failover.test.ts). A breaker's
 * connections must outlive every failover, so an `end` that did not follow the
 * owner's own `disconnect()` or `quit()` is followed by `connect()` on the
 * reconnect backoff (the subscriber resubscribes as after any reconnect).
 */
export function outliveFailovers(client: Redis, retryStrategy: (times: number) => number): Redis {
  guardSentinelConnections(client);
  let closedByOwner = false;
  let attempts = 0;
  const disconnect = client.disconnect.bind(client);
  client.disconnect = (reconnect = false) => {
    if (!reconnect) closedByOwner = true;
    disconnect(reconnect);
  };
  const quit = client.quit.bind(client);
  client.quit = ((...args: Parameters<Redis['quit']>) => {
    closedByOwner = true;
    return quit(...args);
  }) as Redis['quit'];
  client.on('ready', () => {
    attempts = 0;
  });
  client.on('end', () => {
    if (closedByOwner) return;
    const timer = setTimeout(() => {
      if (!closedByOwner && client.status === 'end') client.connect().catch(() => {});
    }, retryStrategy(++attempts));
    timer.unref?.();
  });
  return client;
}

/** What ioredis's Sentinel connector is to us: it opens its own connections to the sentinels. */
interface SentinelConnectorLike {
  connectToSentinel(...args: unknown[]): Redis;
}

/** Commands ioredis re-sends by itself when a connection comes back, its promise unhandled. */
const RESENT_ON_RECONNECT = ['subscribe', 'psubscribe', 'ssubscribe', 'select'] as const;

/**
 * Makes the connections ioredis's Sentinel connector opens to the sentinels safe for a
 * pod: those of its failover detector (`failoverDetector`) have a command timeout
 * (`sentinelCommandTimeout`), no `error` listener, and when one of them reconnects,
 * ioredis re-sends its SUBSCRIBE without handling the promise. A sentinel that does not
 * answer in time (stalled, a partition) rejected it unhandled, and Node ended the pod's
 * process (found by `pnpm chaos`; test/breaker-core/runtime/sentinel-detector-crash.test.ts).
 * Each such connection gets a no-op `error` listener (no unhandled-error line per
 * reconnect either) and its re-sent commands a no-op handler; their failures change
 * nothing else (the detector subscribes again on the next reconnect of the connection it
 * watches for, and the breaker's calls see Redis as it is). A no-op without Sentinel.
 */
export function guardSentinelConnections(client: Redis): void {
  const connector = (client as unknown as { connector?: Partial<SentinelConnectorLike> }).connector;
  if (typeof connector?.connectToSentinel !== 'function') return;
  const open = connector.connectToSentinel.bind(connector);
  connector.connectToSentinel = (...args: unknown[]) => {
    const sentinel = open(...args);
    sentinel.on('error', () => {});
    for (const method of RESENT_ON_RECONNECT) {
      const send = (sentinel[method] as (...a: unknown[]) => Promise<unknown>).bind(sentinel);
      (sentinel as unknown as Record<string, unknown>)[method] = (...a: unknown[]) => {
        const sent = send(...a);
        sent.catch(() => {});
        return sent;
      };
    }
    return sentinel;
  };
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
