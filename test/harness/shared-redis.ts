import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type RedisServer, startRedis } from './redis-server.js';

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

export function uniquePrefix(label = 'test'): string {
  return `bwtest:${label}:${randomBytes(6).toString('hex')}:`;
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

/** Removes every key under `prefix` on a server this test does not own. */
export async function deleteByPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
