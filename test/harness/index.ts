export { freePort } from './free-port.js';
export { findRedisServer, resolveLauncher } from './launcher.js';
export { isProcessAlive, liveCount, stopAll } from './process-registry.js';
export { type RedisCluster, type StartRedisClusterOptions, startRedisCluster } from './redis-cluster.js';
export { type RedisServer, type StartRedisOptions, startRedis } from './redis-server.js';
export { acquireRedis, deleteByPrefix, type TestRedis, uniquePrefix } from './shared-redis.js';
export { waitUntil } from './wait-until.js';
