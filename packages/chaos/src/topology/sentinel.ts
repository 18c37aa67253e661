import { startRedisSentinel } from '@breakwater/redis-harness';
import { Redis } from 'ioredis';
import type { ProxyAddresses } from '../proxy/pod-proxy.js';
import { OBSERVER_OPTIONS } from './standalone.js';
import { type ChaosTopology, sleep } from './topology.js';

/**
 * Redis Sentinel: one master, one replica, three sentinels (`down-after` 2 s). Pods
 * reach the sentinels and the data nodes through their proxy (ioredis `natMap` maps
 * the master the sentinels name to the pod's listener for it).
 */
export async function startSentinel(): Promise<ChaosTopology> {
  const s = await startRedisSentinel({ replicas: 1, sentinels: 3, downAfterMs: 2_000 });
  const all = () => [...s.sentinels, ...s.dataNodes].map((n) => ({ host: n.host, port: n.port }));
  return {
    kind: 'sentinel',
    hasFailover: true,
    upstreams: all,
    podTarget: (proxy: ProxyAddresses) => ({
      kind: 'sentinel',
      name: s.masterName,
      sentinels: s.sentinels.map((n) => ({ host: '127.0.0.1', port: proxy.portFor(n) })),
      natMap: proxy.natMap(),
    }),
    observerClient: () =>
      new Redis({
        ...s.redisOptions(),
        ...OBSERVER_OPTIONS,
        role: 'master',
        failoverDetector: true,
        sentinelRetryStrategy: () => 100,
        sentinelCommandTimeout: 1_000,
      }).on('error', () => {}),
    adminEnv: () => ({
      BREAKWATER_REDIS_SENTINELS: s.sentinels.map((n) => `${n.host}:${n.port}`).join(','),
      BREAKWATER_REDIS_SENTINEL_NAME: s.masterName,
    }),
    async keyCount(prefix) {
      const m = await s.master();
      const c = new Redis({ host: m.host, port: m.port, lazyConnect: true });
      try {
        await c.connect();
        return (await c.keys(`${prefix}:*`)).length;
      } finally {
        c.disconnect();
      }
    },
    async killRestart(holdMs, marks) {
      const m = await s.master();
      marks.down();
      await m.kill();
      await sleep(holdMs);
      await m.restart();
      const now = await s.waitUntilHealthy(60_000);
      marks.up();
      return `master ${m.port} SIGKILL, ${holdMs} ms down, restarted empty; master now ${now.port}`;
    },
    async pauseResume(holdMs, marks) {
      const m = await s.master();
      marks.down();
      await m.pause();
      await sleep(holdMs);
      await m.resume();
      const now = await s.waitUntilHealthy(60_000);
      marks.up();
      return `master ${m.port} SIGSTOP ${holdMs} ms, SIGCONT; master now ${now.port}`;
    },
    async failoverManual(marks) {
      marks.down();
      const { from, to } = await s.failover(60_000);
      marks.up();
      return `SENTINEL FAILOVER ${from.port} -> ${to.port}`;
    },
    async failoverKill(marks) {
      marks.down();
      const { from, to } = await s.killMaster(60_000);
      marks.up();
      await from.restart();
      await s.waitUntilHealthy(60_000);
      return `master ${from.port} SIGKILL, ${to.port} promoted, ${from.port} back as its replica`;
    },
    stop: () => s.stop(),
  };
}
