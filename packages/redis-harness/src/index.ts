/**
 * @breakwater/redis-harness — starts and breaks real Redis: throwaway
 * `redis-server` processes and Redis Clusters on free ports, with faults
 * (SIGSTOP, SIGKILL, restart), that never outlive their owner. Private: for the
 * tests, the incident replay, the benchmarks and fault tooling, never for
 * production. Nothing here depends on a test runner; test/harness adds the
 * vitest hooks.
 */
export { freePort, freePortPair } from './free-port.js';
export { deleteByPrefix, uniquePrefix } from './key-prefix.js';
export {
  chooseLauncher,
  findRedisServer,
  type LaunchedRedis,
  type RedisLauncher,
  resolveLauncher,
} from './launcher.js';
export {
  isProcessAlive,
  liveCount,
  RUN_DIR_ENV,
  reapRunDir,
  register,
  type Stoppable,
  stopAll,
} from './process-registry.js';
export { type RedisCluster, type StartRedisClusterOptions, startRedisCluster } from './redis-cluster.js';
export {
  type Failover,
  type RedisSentinel,
  type SentinelConnectOptions,
  type StartRedisSentinelOptions,
  startRedisSentinel,
} from './redis-sentinel.js';
export { type RedisServer, type StartRedisOptions, startRedis } from './redis-server.js';
