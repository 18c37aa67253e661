// What the integration tests use: @breakwater/redis-harness (real Redis, with faults),
// plus the vitest-side pieces that live here (acquireRedis, waitUntil). setup-file.ts
// and global-setup.ts hook the harness's process registry into every vitest run.
export {
  deleteByPrefix,
  type RedisCluster,
  type RedisSentinel,
  type RedisServer,
  startRedis,
  startRedisCluster,
  startRedisSentinel,
  uniquePrefix,
} from '@breakwater/redis-harness';
export { acquireRedis, type TestRedis } from './shared-redis.js';
export { waitUntil } from './wait-until.js';
