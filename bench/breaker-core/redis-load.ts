import { createClusterBreaker, RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';

/**
 * Redis commands per second caused by one pod whose sessions all fail, as the
 * number of sessions grows: Breakwater's batched pod next to a naive pod that
 * sends one record call per outcome (what per-session breakers in Redis do).
 */
export interface RedisLoadRow {
  readonly sessions: number;
  readonly outcomesPerSecond: number;
  readonly breakwater: Load;
  readonly naive: Load;
}

/** Requests the pod sent (scripts and plain commands), and every command Redis ran, inside scripts too. */
export interface Load {
  readonly requestsPerSecond: number;
  readonly commandsPerSecond: number;
}

/**
 * Commands a pod sends itself besides scripts, none of which our scripts run inside
 * Redis (register()'s ZADD/PEXPIRE happen before the measurement and run inside
 * scripts too, so they must not be counted here).
 */
const CLIENT_COMMANDS = new Set(['ping', 'subscribe', 'unsubscribe', 'client', 'select']);

const FAILURE_EVERY_MS = 100; // each session fails 10 times a second
const RUN_MS = 3_000;

export async function benchRedisLoad(redisUrl: string, sessionCounts = [30, 300, 3_000]): Promise<RedisLoadRow[]> {
  const admin = new Redis(redisUrl);
  const rows: RedisLoadRow[] = [];
  try {
    for (const sessions of sessionCounts) {
      const batched = await measure(
        admin,
        async () => {
          const breaker = await createClusterBreaker({
            name: `bench-load-${sessions}`,
            redis: redisUrl,
            podId: 'busy-pod',
            resyncIntervalMs: 1_000,
            config: { failureThreshold: 20, quorum: 2 }, // one pod alone cannot trip: the load never stops
          });
          return { record: () => breaker.recordFailure(), stop: () => breaker.close() };
        },
        sessions,
      );
      const naive = await measure(
        admin,
        async () => {
          const client = new Redis(redisUrl);
          // Stopped with thousands of writes in flight: the reset that follows is expected.
          client.on('error', () => {});
          const store = new RedisBreakerStore({ client });
          const name = `bench-naive-${sessions}`;
          await store.register(name, { failureThreshold: 20, quorum: 2 });
          return {
            record: () => void store.record(name, 'busy-pod', { failures: 1, successes: 0 }).catch(() => {}),
            stop: async () => client.disconnect(),
          };
        },
        sessions,
      );
      rows.push({ sessions, outcomesPerSecond: batched.outcomesPerSecond, breakwater: batched, naive });
    }
  } finally {
    admin.disconnect();
  }
  return rows;
}

async function measure(
  admin: Redis,
  setup: () => Promise<{ record: () => void; stop: () => Promise<void> }>,
  sessions: number,
): Promise<Load & { outcomesPerSecond: number }> {
  const pod = await setup();
  await admin.config('RESETSTAT');
  let outcomes = 0;
  const started = performance.now();
  const timers = Array.from({ length: sessions }, () =>
    setInterval(() => {
      pod.record();
      outcomes++;
    }, FAILURE_EVERY_MS),
  );
  await new Promise((r) => setTimeout(r, RUN_MS));
  for (const t of timers) clearInterval(t);
  const seconds = (performance.now() - started) / 1_000;
  const info = await admin.info('commandstats');
  await pod.stop();
  // commandstats counts the commands a script runs as well as the script call itself.
  const stats = new Map([...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
  stats.delete('info');
  stats.delete('config');
  const all = [...stats.values()].reduce((a, b) => a + b, 0);
  const scripts = (stats.get('evalsha') ?? 0) + (stats.get('eval') ?? 0);
  const requests = [...stats.entries()]
    .filter(([name]) => CLIENT_COMMANDS.has(name as string))
    .reduce((a, [, n]) => a + n, scripts);
  return {
    requestsPerSecond: requests / seconds,
    commandsPerSecond: all / seconds,
    outcomesPerSecond: outcomes / seconds,
  };
}
