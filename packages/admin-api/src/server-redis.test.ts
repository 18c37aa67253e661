import type { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { connectAdminRedis } from './server-redis.js';

describe('connectAdminRedis on a Cluster', () => {
  it('opens both connections without an offline queue and without the CLUSTER INFO ready check', () => {
    // Nothing listens on port 1: the connections are only built and inspected, then closed.
    const redis = connectAdminRedis({ cluster: { nodes: [{ host: '127.0.0.1', port: 1 }], password: 'pw' } });
    const connections = [redis.client, redis.mutations] as Cluster[];
    for (const c of connections) c.on('error', () => {});
    try {
      for (const c of connections) {
        expect(c.options).toMatchObject({ enableOfflineQueue: false, enableReadyCheck: false });
        expect(c.options.redisOptions).toMatchObject({ enableOfflineQueue: false, password: 'pw' });
      }
    } finally {
      for (const c of connections) c.disconnect();
    }
  });
});
