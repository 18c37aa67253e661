import type { RedisClient } from '@breakwater/breaker-core';

/**
 * What `/readyz` asks: resolves when the backing store answers, rejects (or
 * does not settle in time) when it does not. Without one, `/readyz` answers
 * 200 whenever the process is up (right for a MemoryBreakerStore).
 */
export interface Readiness {
  ping(): Promise<void>;
}

/** Readiness of a Redis-backed store: a `PING` on its command connection. */
export function redisReadiness(client: RedisClient): Readiness {
  return {
    async ping() {
      const reply = await client.ping();
      if (reply !== 'PONG') throw new Error(`redis answered PING with ${JSON.stringify(reply)}`);
    },
  };
}
