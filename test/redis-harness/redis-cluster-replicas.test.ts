import { isProcessAlive, liveCount, type RedisCluster, startRedisCluster } from '@breakwater/redis-harness';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../harness/index.js';

const KEY = '{breaker:pusher}:state';

describe('startRedisCluster with replicas', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  const direct: Redis[] = [];
  const on = (port: number) => {
    const c = new Redis({ port, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    direct.push(c);
    return c;
  };

  beforeAll(async () => {
    const before = liveCount();
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    expect(liveCount() - before).toBe(6);
    client = new Cluster([...cluster.startupNodes], { redisOptions: { commandTimeout: 1_000 } });
    client.on('error', () => {});
  });

  afterAll(async () => {
    client?.disconnect();
    for (const c of direct) c.disconnect();
    await cluster?.stop();
  });

  it('starts 3 masters with one replica each, in sync, cluster_state:ok on every node', async () => {
    expect(cluster.nodes).toHaveLength(6);
    const masters = cluster.nodes.slice(0, 3);
    for (const node of cluster.nodes) {
      expect(await cluster.info(node)).toMatchObject({
        cluster_state: 'ok',
        cluster_known_nodes: '6',
        cluster_size: '3',
      });
    }
    for (const master of masters) {
      const replicas = await cluster.replicasOf(master);
      expect(replicas).toHaveLength(1);
      const info = String(await on(replicas[0]?.port as number).info('replication'));
      expect(info).toMatch(new RegExp(`master_port:${master.port}\\r?\\n`));
      expect(info).toMatch(/master_link_status:up/);
    }
    expect(masters).toContain(await cluster.nodeForKey(KEY));
  });

  it('failover() is the coordinated CLUSTER FAILOVER: the replica takes the slots with every write, the client follows', async () => {
    const master = await cluster.nodeForKey(KEY);
    await client.set(KEY, 'written just before');
    const { from, to } = await cluster.failover(master);
    expect(from).toBe(master);
    expect(await cluster.nodeForKey(KEY)).toBe(to);
    expect(await cluster.replicasOf(to)).toEqual([master]);
    expect(await on(to.port).get(KEY)).toBe('written just before');
    await waitUntil(async () => (await client.set(KEY, 'after').catch(() => null)) === 'OK', {
      what: 'the Cluster client writing to the new owner',
    });
    expect(await on(to.port).get(KEY)).toBe('after');
  });

  it('stallReplication() then killMaster(): a replica takes the slots without the writes made since the stall', async () => {
    const master = await cluster.nodeForKey(KEY);
    const writer = on(master.port);
    await writer.set(KEY, 'replicated');
    await waitUntil(async () => Number(await writer.call('WAIT', 1, 100)) === 1, { what: 'the replica acknowledging' });
    const [replica] = await cluster.stallReplication(master);
    expect(replica?.isPaused()).toBe(true);
    await writer.set(KEY, 'master only');
    expect(Number(await writer.call('WAIT', 1, 200))).toBe(0);
    const pid = master.pid;
    const { from, to } = await cluster.killMaster(master);
    expect(from).toBe(master);
    expect(to).toBe(replica);
    expect(isProcessAlive(pid)).toBe(false);
    expect(await cluster.nodeForKey(KEY)).toBe(to);
    expect(await on(to.port).get(KEY)).toBe('replicated');
    await waitUntil(async () => (await client.get(KEY).catch(() => null)) === 'replicated', {
      what: 'the Cluster client reading from the promoted replica',
    });
    for (const node of cluster.nodes.filter((n) => n.isRunning())) {
      expect((await cluster.info(node)).cluster_state).toBe('ok');
    }
  });

  it('checks its options', async () => {
    await expect(startRedisCluster({ replicasPerMaster: 3 })).rejects.toThrow(/replicasPerMaster/);
  });
});
