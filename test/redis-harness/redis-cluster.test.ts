import { type RedisCluster, startRedisCluster } from '@breakwater/redis-harness';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('startRedisCluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = new Cluster([...cluster.startupNodes], { redisOptions: { commandTimeout: 500 } });
    client.on('error', () => {});
  });

  afterAll(async () => {
    client.disconnect();
    await cluster.stop();
  });

  it('reports cluster_state:ok with every slot assigned on every node', async () => {
    for (const node of cluster.nodes) {
      const info = await cluster.info(node);
      expect(info.cluster_state).toBe('ok');
      expect(info.cluster_slots_assigned).toBe('16384');
      expect(info.cluster_known_nodes).toBe('3');
    }
  });

  it('keys sharing a {hash tag} live on the same node, and the data is really there', async () => {
    const a = '{breaker:pusher}:state';
    const b = '{breaker:pusher}:window';
    const ownerA = await cluster.nodeForKey(a);
    const ownerB = await cluster.nodeForKey(b);
    expect(ownerA.port).toBe(ownerB.port);
    await client.set(a, '1');
    await client.set(b, '2');
    const direct = new Redis({ host: ownerA.host, port: ownerA.port });
    try {
      expect(await direct.mget(a, b)).toEqual(['1', '2']);
    } finally {
      direct.disconnect();
    }
  });

  it('spreads untagged keys over more than one node', async () => {
    const owners = new Set<number>();
    for (let i = 0; i < 30; i++) owners.add((await cluster.nodeForKey(`key-${i}`)).port);
    expect(owners.size).toBe(3);
  });

  it('pausing one node stalls only the keys it owns', async () => {
    let pausedKey = '';
    let liveKey = '';
    const victim = cluster.nodes[1];
    if (!victim) throw new Error('expected 3 nodes');
    for (let i = 0; (!pausedKey || !liveKey) && i < 100; i++) {
      const key = `probe-${i}`;
      if ((await cluster.nodeForKey(key)).port === victim.port) pausedKey ||= key;
      else liveKey ||= key;
    }
    await victim.pause();
    try {
      await expect(client.set(pausedKey, 'x')).rejects.toThrow(/timed out/i);
      expect(await client.set(liveKey, 'y')).toBe('OK');
    } finally {
      await victim.resume();
    }
  });
});
