import { type RedisServer, startRedisCluster } from '@breakwater/redis-harness';
import { Cluster, Redis } from 'ioredis';
import type { ProxyAddresses } from '../proxy/pod-proxy.js';
import { OBSERVER_OPTIONS } from './standalone.js';
import { type ChaosTopology, pollUntil, sleep } from './topology.js';

/**
 * Redis Cluster, 3 masters + 3 replicas. Faults hit the master owning the breaker's
 * slot. A node SIGKILLed comes back empty with a new node id (the harness gives every
 * start a fresh directory): the campaign makes the cluster forget the old id, meets the
 * new node and makes it a replica of the master that took its slots, so every shard
 * keeps a replica for the next failover.
 */
export async function startCluster(breakerKey: string): Promise<ChaosTopology> {
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 3_000 });
  const master = () => cluster.nodeForKey(breakerKey);
  const live = (n: RedisServer) => n.isRunning() && !n.isPaused();
  const on = async <T>(n: RedisServer, fn: (c: Redis) => Promise<T>): Promise<T> => {
    const c = new Redis({
      host: n.host,
      port: n.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
    });
    c.on('error', () => {});
    try {
      await c.connect();
      return await fn(c);
    } finally {
      c.disconnect();
    }
  };
  const nodeLines = async (n: RedisServer) =>
    String(await on(n, (c) => c.call('CLUSTER', 'NODES')))
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([id, addr, flags, masterId]) => ({
        id: id as string,
        port: Number((addr ?? '').split('@')[0]?.split(':')[1]),
        flags: (flags ?? '').split(','),
        masterId,
      }));

  /** Brings a killed node back empty, as a replica of `master`, the old id forgotten. */
  const rejoin = async (node: RedisServer, newMaster: RedisServer) => {
    const others = cluster.nodes.filter((n) => n !== node && live(n));
    const oldIds = new Set(
      (await nodeLines(others[0] as RedisServer)).filter((l) => l.port === node.port).map((l) => l.id),
    );
    await node.restart();
    for (const o of others) {
      for (const id of oldIds) await on(o, (c) => c.call('CLUSTER', 'FORGET', id)).catch(() => {});
    }
    await on(node, (c) => c.call('CLUSTER', 'MEET', newMaster.host, String(newMaster.port)));
    let masterId = '';
    await pollUntil(
      async () => {
        const lines = await nodeLines(node);
        masterId = lines.find((l) => l.port === newMaster.port && l.flags.includes('master'))?.id ?? '';
        return masterId !== '';
      },
      30_000,
      `node ${node.port} to learn of ${newMaster.port}`,
    );
    await pollUntil(
      async () => {
        await on(node, (c) => c.call('CLUSTER', 'REPLICATE', masterId));
        return true;
      },
      30_000,
      `node ${node.port} to replicate ${newMaster.port}`,
    );
    await pollUntil(
      async () => {
        const infoText = String(await on(node, (c) => c.call('INFO', 'replication')));
        if (!infoText.includes('master_link_status:up')) return false;
        for (const o of cluster.nodes.filter(live)) {
          const l = (await nodeLines(o)).find((x) => x.port === node.port);
          if (!l || l.masterId !== masterId || l.flags.includes('fail')) return false;
        }
        return true;
      },
      40_000,
      `node ${node.port} in sync as a replica of ${newMaster.port}, known to every node`,
    );
  };

  return {
    kind: 'cluster',
    hasFailover: true,
    upstreams: () => cluster.nodes.map((n) => ({ host: n.host, port: n.port })),
    podTarget: (proxy: ProxyAddresses) => ({
      kind: 'cluster',
      startupNodes: cluster.startupNodes.map((n) => ({ host: '127.0.0.1', port: proxy.portFor(n) })),
      natMap: proxy.natMap(),
    }),
    observerClient: () =>
      new Cluster([...cluster.startupNodes], {
        enableOfflineQueue: false,
        clusterRetryStrategy: () => 100,
        redisOptions: OBSERVER_OPTIONS,
      }).on('error', () => {}),
    adminEnv: () => ({
      BREAKWATER_REDIS_CLUSTER_NODES: cluster.startupNodes.map((n) => `${n.host}:${n.port}`).join(','),
    }),
    async keyCount(prefix) {
      let total = 0;
      for (const n of cluster.nodes.filter(live)) {
        const lines = await nodeLines(n);
        const me = lines.find((l) => l.flags.includes('myself'));
        if (me?.flags.includes('master')) total += (await on(n, (c) => c.keys(`${prefix}:*`))).length;
      }
      return total;
    },
    async killRestart(holdMs, marks) {
      const m = await master();
      marks.down();
      await m.kill();
      await sleep(holdMs);
      const { to } = await cluster.waitForFailover(m, 60_000);
      marks.up();
      await rejoin(m, to);
      return `master ${m.port} SIGKILL (${holdMs} ms), ${to.port} promoted, ${m.port} back empty as its replica`;
    },
    async pauseResume(holdMs, marks) {
      const m = await master();
      marks.down();
      await m.pause();
      await sleep(holdMs);
      await m.resume();
      marks.up();
      return `master ${m.port} SIGSTOP ${holdMs} ms, SIGCONT`;
    },
    async failoverManual(marks) {
      const m = await master();
      marks.down();
      const { to } = await cluster.failover(m, 60_000);
      marks.up();
      return `CLUSTER FAILOVER ${m.port} -> ${to.port}`;
    },
    async failoverKill(marks) {
      const m = await master();
      marks.down();
      const { to } = await cluster.killMaster(m, 60_000);
      marks.up();
      await rejoin(m, to);
      return `master ${m.port} SIGKILL, ${to.port} promoted, ${m.port} back empty as its replica`;
    },
    stop: () => cluster.stop(),
  };
}
