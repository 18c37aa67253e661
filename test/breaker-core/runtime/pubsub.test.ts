import { type ClusterBreaker, type ClusterBreakerOptions, createClusterBreaker } from '@breakwater/breaker-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../harness/index.js';
import { waitUntil } from './wait-until.js';

/**
 * Pub/sub on its own: every pod here has its periodic resync pushed out to
 * 60 s, so whatever it learns after start-up it learns from the channel (or
 * from the resync a reconnect triggers, which the tests wait out first).
 */

const RESYNC_OFF = 60_000;
const open: ClusterBreaker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

async function pod(url: string, podId: string, extra: Partial<ClusterBreakerOptions> = {}): Promise<ClusterBreaker> {
  const b = await createClusterBreaker({
    name: 'pusher',
    redis: url,
    podId,
    resyncIntervalMs: RESYNC_OFF,
    config: { failureThreshold: 5, cooldownMs: 60_000 },
    ...extra,
  });
  open.push(b);
  return b;
}

describe('the subscription', () => {
  it('is made once Redis returns when it could not be made at start', async () => {
    const server = await startRedis();
    await server.kill();
    const late = await pod(server.url, 'pod-late', { startTimeoutMs: 200 });
    const causes: string[] = [];
    late.onStateChange((e) => causes.push(e.cause));
    await server.restart();
    await waitUntil(() => late.source === 'shared', { what: 'the late pod joined' });

    const other = await pod(server.url, 'pod-other');
    for (let i = 0; i < 5; i++) other.recordFailure();
    await waitUntil(() => late.state === 'open', { what: 'the trip reached the late pod by pub/sub' });
    expect(causes.at(-1)).toBe('trip'); // a resync would say 'resync'
  });
});
