import { type BreakerStore, MemoryBreakerStore, RedisBreakerStore } from '@breakwater/breaker-core';
import { Cluster, Redis } from 'ioredis';
import { acquireRedis, type RedisCluster, startRedisCluster, type TestRedis } from '../../harness/index.js';
import type { ManualClock } from './manual-clock.js';

/** Where a store under test keeps its state: one process, one Redis, or a Redis Cluster. */
export interface StoreTarget {
  readonly label: string;
  setup(): Promise<void>;
  /**
   * A store for one "pod": on Redis its own connection; in memory the one
   * instance made for this clock (options apply when it is first made).
   */
  create(clock: ManualClock, options?: { auditMaxLength?: number }): BreakerStore;
  teardown(): Promise<void>;
}

export function memoryTarget(): StoreTarget {
  const stores = new Map<ManualClock, MemoryBreakerStore>();
  return {
    label: 'MemoryBreakerStore',
    async setup() {},
    create(clock, options) {
      // One process: every "pod" of a test shares the instance made for its clock.
      let store = stores.get(clock);
      if (!store) {
        store = new MemoryBreakerStore({ clock, ...options });
        stores.set(clock, store);
      }
      return store;
    },
    async teardown() {
      stores.clear();
    },
  };
}

export function redisTarget(): StoreTarget {
  let redis: TestRedis;
  const clients: Redis[] = [];
  const prefix = `bwc${Math.random().toString(36).slice(2, 8)}`;
  return {
    label: 'RedisBreakerStore (single redis-server)',
    async setup() {
      redis = await acquireRedis('conformance');
    },
    create(clock, options) {
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      clients.push(client);
      return new RedisBreakerStore({ client, prefix, clock, ...options });
    },
    async teardown() {
      for (const c of clients.splice(0)) c.disconnect();
      await redis.release();
    },
  };
}

export function clusterTarget(): StoreTarget {
  let cluster: RedisCluster;
  const clients: Cluster[] = [];
  return {
    label: 'RedisBreakerStore (3-master Redis Cluster)',
    async setup() {
      cluster = await startRedisCluster({ masters: 3 });
    },
    create(clock, options) {
      const client = new Cluster([...cluster.startupNodes], { redisOptions: { maxRetriesPerRequest: 1 } });
      clients.push(client);
      return new RedisBreakerStore({ client, prefix: 'bwc', clock, ...options });
    },
    async teardown() {
      for (const c of clients.splice(0)) c.disconnect();
      await cluster.stop();
    },
  };
}
