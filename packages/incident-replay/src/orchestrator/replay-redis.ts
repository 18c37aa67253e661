import { randomBytes } from 'node:crypto';
import { deleteByPrefix, type RedisServer, startRedis } from '@breakwater/test/harness';

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
