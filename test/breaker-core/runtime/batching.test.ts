import { createClusterBreaker } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { startRedis } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';

/**
 * 300 sessions failing on one pod must not become 300 Redis clients: the pod
 * sends at most one record script per flush interval, and loses no outcome.
 *
 * Checked interval by interval, not on average: the pod runs on a manual
 * clock that the test moves one flush interval at a time, and after each step
 * the test counts the scripts Redis ran (INFO commandstats on its own
 * redis-server). It waits for that interval's flush, then gives the pod
 * another 250 ms of real time in which a second record call would show; so a
 * loaded machine can only make the test slower, never wrong.
 */

const INTERVAL_MS = 100;
const INTERVALS = 12;

it('300 failing sessions on one pod: one record script per flush interval, every outcome counted', async () => {
  const server = await startRedis();
  const admin = new Redis(server.url);
  let now = Date.now();
  const breaker = await createClusterBreaker({
    name: 'pusher',
    redis: server.url,
    podId: 'pod-busy',
    clock: () => now,
    flushIntervalMs: INTERVAL_MS,
    resyncIntervalMs: 60_000, // keep resyncs (also scripts) out of the count
    // A loaded machine must not send the pod to its fallback: the rejoin would add a script.
    commandTimeoutMs: 5_000,
    // Cannot trip on one pod (quorum 2), so failures keep coming and no early flush applies.
    config: { failureThreshold: 20, quorum: 2, windowMs: 60_000 },
  });
  const scripts = async () => {
    const stats = parseCommandStats(await admin.info('commandstats'));
    return (stats.evalsha ?? 0) + (stats.eval ?? 0);
  };
  try {
    // One flush first, so the script is cached (ioredis's first EVALSHA → NOSCRIPT → EVAL counts twice).
    breaker.recordFailure();
    let recorded = 1;
    now += INTERVAL_MS;
    await waitUntil(async () => (await windowFailures(admin)) === 1, { what: 'the warm-up flush' });
    await admin.config('RESETSTAT');

    const sessions = Array.from({ length: 300 }, () =>
      setInterval(() => {
        breaker.recordFailure();
        recorded++;
      }, 20),
    );
    const perInterval: number[] = [];
    let before = 0;
    try {
      for (let i = 0; i < INTERVALS; i++) {
        now += INTERVAL_MS;
        await waitUntil(async () => (await scripts()) > before, { what: `the flush of interval ${i}` });
        await new Promise((r) => setTimeout(r, 250)); // room for a second one, if the pod would send it
        const after = await scripts();
        perInterval.push(after - before);
        before = after;
      }
    } finally {
      for (const s of sessions) clearInterval(s);
    }
    expect(perInterval).toEqual(Array(INTERVALS).fill(1));

    now += INTERVAL_MS; // the remainder goes in the next interval
    await waitUntil(async () => (await windowFailures(admin)) === recorded, { what: 'every outcome in the window' });
    expect(recorded).toBeGreaterThan(INTERVALS * 300);
    expect(await scripts()).toBe(INTERVALS + 1);
  } finally {
    await breaker.close();
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
