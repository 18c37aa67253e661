import { deleteByPrefix, type RedisServer, startRedis, uniquePrefix } from '@breakwater/redis-harness';

/** A plain Redis for tests that need no faults: REDIS_URL when set, else a started one. */
export interface TestRedis {
  readonly url: string;
  /** A key prefix unique to this acquisition; tests must put every key under it. */
  readonly prefix: string;
  /** The started server, or undefined when REDIS_URL was used (never fault-inject a shared server). */
  readonly server: RedisServer | undefined;
  /** Deletes this prefix's keys (SCAN + UNLINK; nothing else on the server is touched) and stops a started server. */
  release(): Promise<void>;
}

export async function acquireRedis(label?: string): Promise<TestRedis> {
  const prefix = uniquePrefix(label);
  const external = process.env.REDIS_URL;
  if (external) {
    return {
      url: external,
      prefix,
      server: undefined,
      release: () => deleteByPrefix(external, prefix),
    };
  }
  const server = await startRedis();
  return { url: server.url, prefix, server, release: () => server.stop() };
}
