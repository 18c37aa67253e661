import { startRedis } from '@breakwater/redis-harness';
import { Redis } from 'ioredis';
import type { ProxyAddresses } from '../proxy/pod-proxy.js';
import { type ChaosTopology, sleep } from './topology.js';

export const OBSERVER_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 1_000,
  retryStrategy: () => 100,
} as const;

/** One redis-server. No failover: those fault kinds are not scheduled here. */
export async function startStandalone(): Promise<ChaosTopology> {
  const server = await startRedis();
  const target = { host: server.host, port: server.port };
  return {
    kind: 'standalone',
    hasFailover: false,
    upstreams: () => [target],
    podTarget: (proxy: ProxyAddresses) => ({ kind: 'standalone', url: `redis://127.0.0.1:${proxy.portFor(target)}` }),
    observerClient: () => new Redis(server.url, OBSERVER_OPTIONS).on('error', () => {}),
    adminEnv: () => ({ REDIS_URL: server.url }),
    async keyCount(prefix) {
      const c = new Redis(server.url, { lazyConnect: true });
      try {
        await c.connect();
        return (await c.keys(`${prefix}:*`)).length;
      } finally {
        c.disconnect();
      }
    },
    async killRestart(holdMs, marks) {
      marks.down();
      await server.kill();
      await sleep(holdMs);
      await server.restart();
      marks.up();
      return `redis-server:${server.port} SIGKILL, ${holdMs} ms down, restarted empty`;
    },
    async pauseResume(holdMs, marks) {
      marks.down();
      await server.pause();
      await sleep(holdMs);
      await server.resume();
      marks.up();
      return `redis-server:${server.port} SIGSTOP ${holdMs} ms, SIGCONT`;
    },
    failoverManual: () => Promise.reject(new Error('standalone has no failover')),
    failoverKill: () => Promise.reject(new Error('standalone has no failover')),
    stop: () => server.stop(),
  };
}
