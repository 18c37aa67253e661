import { randomBytes } from 'node:crypto';
import { deleteByPrefix, type RedisServer, startRedis } from '@breakwater/redis-harness';
import { Redis } from 'ioredis';

/** The Redis the Breakwater phase shares: REDIS_URL, else a throwaway server (local binary, else Docker). */
export interface ReplayRedis {
  readonly url: string;
  /** Every key of the replay lives under it. */
  readonly prefix: string;
  readonly describe: string;
  release(): Promise<void>;
}

export async function acquireReplayRedis(redisUrl: string | undefined): Promise<ReplayRedis> {
  const prefix = `bw-replay-${randomBytes(4).toString('hex')}`;
  if (redisUrl) {
    await mustAnswer(redisUrl);
    return {
      url: redisUrl,
      prefix,
      describe: `REDIS_URL (keys under ${prefix}:)`,
      release: () => deleteByPrefix(redisUrl, `${prefix}:`),
    };
  }
  // startRedis() tries a local redis-server, then Docker via testcontainers, and otherwise
  // throws a message that says how to install Redis.
  const server: RedisServer = await startRedis();
  return {
    url: server.url,
    prefix,
    describe: `throwaway redis-server on port ${server.port}`,
    release: () => server.stop(),
  };
}

/**
 * A REDIS_URL that does not answer would not fail the replay: every pod would run on its local
 * fallback breaker and the report would look like a Breakwater run. Refuse it up front instead.
 */
async function mustAnswer(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(
      `REDIS_URL (${redact(url)}) does not answer (${(err as Error).message.replace(/\.$/, '')}). Unset REDIS_URL to let the replay start its own redis-server.`,
    );
  } finally {
    client.disconnect();
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'unparsable URL';
  }
}
