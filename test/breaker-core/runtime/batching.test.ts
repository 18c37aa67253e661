import { createClusterBreaker } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { startRedis } from '../../harness/index.js';

/**
 * 300 sessions failing on one pod must not become 300 Redis clients: the pod
 * sends at most one record script per flush interval, and loses no outcome.
 */
it('300 failing sessions on one pod: at most one record script per flush interval, every outcome counted', async () => {
  const server = await startRedis();
  const admin = new Redis(server.url);
  const breaker = await createClusterBreaker({
    name: 'pusher',
    redis: server.url,
    podId: 'pod-busy',
    flushIntervalMs: 100,
    resyncIntervalMs: 60_000, // keep resyncs out of the count
    // Cannot trip on one pod (quorum 2), so failures keep coming and urgent flushes keep firing.
    config: { failureThreshold: 20, quorum: 2, windowMs: 60_000 },
  });
  try {
    await admin.config('RESETSTAT');
    const started = performance.now();
    let recorded = 0;
    const sessions = Array.from({ length: 300 }, () =>
      setInterval(() => {
        breaker.recordFailure();
        recorded++;
      }, 5),
    );
    await new Promise((r) => setTimeout(r, 2_000));
    for (const s of sessions) clearInterval(s);
    await breaker.close(); // sends the remainder
    const elapsedMs = performance.now() - started;

    const stats = parseCommandStats(await admin.info('commandstats'));
    const scripts = (stats.evalsha ?? 0) + (stats.eval ?? 0);
    expect(recorded).toBeGreaterThan(10_000);
    expect(scripts).toBeGreaterThan(0);
    // Real flushes are at least one interval apart; +1 for the final flush on close.
    expect(scripts).toBeLessThanOrEqual(Math.floor(elapsedMs / 100) + 2);
    expect(await windowFailures(admin)).toBe(recorded);
  } finally {
    admin.disconnect();
  }
});

function parseCommandStats(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) out[m[1] as string] = Number(m[2]);
  return out;
}

async function windowFailures(admin: Redis): Promise<number> {
  const fields = await admin.hgetall('bw:{pusher}:window');
  return Object.entries(fields)
    .filter(([k]) => k.startsWith('f'))
    .reduce((n, [, v]) => n + Number(v), 0);
}
