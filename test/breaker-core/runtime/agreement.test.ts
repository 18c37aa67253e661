import { type BusyLoad, runRedisRestartEmpty, startBusyLoad } from '@breakwater/bench/agreement';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * Issue 12, "What was seen" (1), once, under CPU pressure: 30 pods in this process
 * (default config and options) trip, half-open, ask for the probe at once and close; one
 * pod records successes under MONITOR (6,000 over 300 ms here; `pnpm soak:agreement`
 * runs the 60,000 over 2 s, 20 times quiet and 20 times with every core busy);
 * Redis is SIGKILLed, one pod trips on its local breaker, Redis restarts empty. Every pod
 * must follow the new life of the breaker within the staleness bound
 * (`resyncIntervalMs + 2 × commandTimeoutMs`, 1.5 s by default) counted from the new
 * server's first PONG, stay with it, and agree with Redis at the end.
 *
 * The only timing is that documented bound (bench/agreement/redis-restart-empty.ts defines
 * agreement and staleness precisely), with the README's own premises as its only slack:
 * the bound counts from the pod's rejoin (its connections reconnect on a backoff that grew
 * while Redis was down: on a loaded machine the restart alone can take seconds), and holds
 * on a pod whose event loop runs (a loop held S ms makes its view S ms older; the run
 * measures S). So a run passes if every pod agreed within 1.5 s of Redis's first PONG, or,
 * failing that, within 1.5 s (plus the held loop) of its own rejoin; a pod that stays on a
 * stale view, as in the issue, fails either way. The bound holds while Redis answers within
 * `commandTimeoutMs`; a run in which Redis itself answered later (the scenario times it:
 * its TIME against when each observer read was sent) and pods missed the bound is run
 * again, up to three runs in all, and the test fails if none could be judged. A failure
 * names each pod that was late, its view, and why.
 */

let busy: BusyLoad | undefined;
afterEach(async () => {
  await busy?.stop();
  busy = undefined;
});

describe('Redis restarts without its data, under a busy core (issue 12)', () => {
  it('every one of 30 pods follows the re-tripped breaker within the staleness bound', async () => {
    busy = await startBusyLoad(1); // a busy-loop process: one core saturated, for real
    const starved: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      // Agreement takes a second or two; a stale pod is reported after 10 s (the issue watched for 30 s).
      const run = await runRedisRestartEmpty({
        seed: 12 + attempt,
        successes: 6_000,
        successMs: 300,
        observeMs: 10_000,
        minObserveMs: 3_000, // the new life trips, then half-opens 1 s later: both inside
        holdMs: 2_000, // two resync intervals of agreement
      });
      // The history was the issue's: one lease when all asked at once, one per generation throughout,
      // and the restart was: the rejoiner's replay re-tripped a new life of the breaker.
      expect({ grantedAtOnce: run.simultaneousGrants, ...run.askedAtOnce }).toMatchObject({ grantedAtOnce: 1 });
      expect(run.maxSharedGrantsPerGeneration).toBe(1);
      expect(run.redisHistory.some((h) => h.view.startsWith('open@'))).toBe(true);
      if (run.outcome === 'redis-answered-late') {
        starved.push(`seed ${run.seed}: Redis ran a read ${Math.round(run.observer.redisWaitMaxMs)} ms late`);
        continue;
      }
      const withinTheBound = ['agreed', 'agreed-within-bound-of-reconnect', 'agreed-within-bound-plus-held-loop'];
      expect({ outcome: run.outcome, failures: run.failures }).toSatisfy(
        ({ outcome }: { outcome: string }) => withinTheBound.includes(outcome),
        'every pod within the bound',
      );
      expect(run.perPod).toHaveLength(30);
      return;
    }
    expect.fail(`Redis itself answered later than commandTimeoutMs in every run (${starved.join('; ')})`);
  });
});
