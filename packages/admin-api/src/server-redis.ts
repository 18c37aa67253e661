import type { RedisClient } from '@breakwater/breaker-core';
import { FAIL_FAST_CLUSTER_READY, outliveFailovers } from '@breakwater/breaker-core/internal';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { type Readiness, redisReadiness } from './readiness.js';
import type { AdminRedisTarget } from './server-config.js';

/** The admin API's Redis connections fail fast: an SRE gets a 503 now, not a hung request. */
export const ADMIN_REDIS_OPTIONS = Object.freeze({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 2_000,
  connectTimeout: 5_000,
});

/** Reconnect backoff: 250 ms more per attempt, at most 5 s. */
const retryStrategy = (attempt: number) => Math.min(attempt * 250, 5_000);

/**
 * What a connection to a single Redis or a Sentinel-managed master adds to follow
 * the master through a failover (ioredis uses the Sentinel ones only with
 * `sentinels`): leave the old master when a sentinel announces the switch
 * (otherwise a change made there in the ~10 s before the sentinels demote it is
 * lost), never hang on a stalled sentinel, retry the sentinels with the same
 * backoff, and reconnect when a reply says the connection is on a replica.
 */
const FOLLOW_THE_MASTER: RedisOptions = Object.freeze({
  role: 'master',
  failoverDetector: true,
  sentinelCommandTimeout: ADMIN_REDIS_OPTIONS.commandTimeout,
  sentinelRetryStrategy: retryStrategy,
  sentinelReconnectStrategy: retryStrategy,
  reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 1 : false),
});

/**
 * A Cluster connection of the admin API (reads, mutations: no subscriber, no offline
 * queue). No `CLUSTER INFO` ready check, as the breaker's own command connection
 * (breaker-core's `FAIL_FAST_CLUSTER_READY`): ioredis sends it to a random node and,
 * without an offline queue, fails it ('Connection is closed.') on a replica whose
 * connection is still opening, which after a slot refresh is often; each failure is a
 * whole reconnect on the backoff, so the admin API answered 503 for seconds after Redis
 * was back. `/readyz` still asks `CLUSTER INFO` itself.
 */
function adminClusterOptions(password: string | undefined): ClusterOptions {
  return {
    enableOfflineQueue: false,
    ...FAIL_FAST_CLUSTER_READY,
    clusterRetryStrategy: retryStrategy,
    redisOptions: { ...ADMIN_REDIS_OPTIONS, ...(password === undefined ? {} : { password }) },
  };
}

/** The standalone server's connections to Redis, whatever its topology. */
export interface AdminRedis {
  /** Reads and `/readyz`. */
  readonly client: RedisClient;
  /** Mutations alone: a `WAIT` after one blocks no read. */
  readonly mutations: RedisClient;
  readonly readiness: Readiness;
  /** The topology for the start-up log line: no address that may hold a password, no password. */
  readonly description: Readonly<Record<string, string | number>>;
}

/** Opens the connections (they connect in the background) for the one topology configured. */
export function connectAdminRedis(target: AdminRedisTarget): AdminRedis {
  if (target.cluster) {
    const { nodes, password } = target.cluster;
    const open = () =>
      new Cluster(
        nodes.map((n) => ({ host: n.host, port: n.port })),
        adminClusterOptions(password),
      );
    const client = open();
    return {
      client,
      mutations: open(),
      readiness: clusterReadiness(client),
      description: { topology: 'cluster', nodes: nodes.length },
    };
  }
  const options: RedisOptions = { ...ADMIN_REDIS_OPTIONS, retryStrategy, ...FOLLOW_THE_MASTER };
  if (target.sentinel) {
    const { sentinels, name, password, sentinelPassword } = target.sentinel;
    // outliveFailovers: ioredis ends a Sentinel connection for good when its failover detector
    // hears the switch while a reconnect is still asking the sentinels (a slow or stalled
    // sentinel makes that likely); every later request would answer 503. It connects again.
    const open = () =>
      outliveFailovers(
        new Redis({
          ...options,
          sentinels: sentinels.map((s) => ({ host: s.host, port: s.port })),
          name,
          ...(password === undefined ? {} : { password }),
          ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
        }),
        retryStrategy,
      );
    const client = open();
    return {
      client,
      mutations: open(),
      readiness: masterReadiness(client),
      description: { topology: 'sentinel', name, sentinels: sentinels.length },
    };
  }
  const client = new Redis(target.redisUrl, options);
  return {
    client,
    mutations: new Redis(target.redisUrl, options),
    readiness: redisReadiness(client),
    description: { topology: 'single' },
  };
}

/** `/readyz` behind Sentinel: the connection answers, and on the master (`ROLE`), not a demoted one. */
function masterReadiness(client: Redis): Readiness {
  return {
    async ping() {
      const role = (await client.call('ROLE')) as unknown[];
      if (role[0] !== 'master') throw new Error(`connected to a ${String(role[0])}, not the master`);
    },
  };
}

/** `/readyz` on a Cluster: a node answers that every slot is served (`cluster_state:ok`). */
function clusterReadiness(client: Cluster): Readiness {
  return {
    async ping() {
      const info = String(await client.call('CLUSTER', 'INFO'));
      if (!/^cluster_state:ok\r?$/m.test(info)) throw new Error('cluster_state is not ok');
    },
  };
}

/** The change an admin mutation makes, for the warning when no replica has it yet. */
export type AdminAction = 'force_open' | 'force_close' | 'clear_override' | 'reset' | 'update_config';

/**
 * `WAIT <replicas> <timeoutMs>` on the connection (the Cluster node) that took the
 * breaker's last write; resolves with how many replicas have it.
 */
export async function waitForReplicas(
  client: RedisClient,
  stateKey: string,
  replicas: number,
  timeoutMs: number,
): Promise<number> {
  if (!(client instanceof Cluster)) return Number(await client.call('WAIT', replicas, timeoutMs));
  // WAIT counts this connection's writes on one node: ask the node that owns the breaker's slot.
  const slot = Number(await client.call('CLUSTER', 'KEYSLOT', stateKey));
  const owner = client.slots[slot]?.[0];
  const node = client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
  if (!node) throw new Error(`no connection to the master of slot ${slot}`);
  return Number(await node.call('WAIT', replicas, timeoutMs));
}
