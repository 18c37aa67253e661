import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReplayReport, runReplay } from '@breakwater/incident-replay';
import { afterAll, expect, it } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';

/**
 * A small replay of the outage, both phases, real processes: 3 pods × 10
 * sessions against the pusher stand-in, pusher refusing connections for two
 * scenario minutes at 20× speed, with a capacity that starts cold (5 new
 * handshakes a second rising to 20, a burst of 50, 503 + Retry-After past it)
 * at the fleet's start and again when pusher comes back. It checks invariants,
 * never timings: no trip while pusher is healthy (its cold start included), the
 * ramp respected, nothing lost, every transcript delivered. The full-size
 * replay, and the figures, are `pnpm demo`.
 */

let redis: TestRedis | undefined;
const out = mkdtempSync(join(tmpdir(), 'breakwater-replay-'));

afterAll(async () => {
  await redis?.release();
  rmSync(out, { recursive: true, force: true });
});

it('Breakwater dials a fraction of the old client, never trips while pusher is healthy, keeps to the ramp, loses no conversation and recovers every session', async () => {
  redis = await acquireRedis('replay');
  const { report, table } = await runReplay({
    pods: 3,
    sessions: 10,
    healthySeconds: 20,
    outageSeconds: 120,
    recoverySeconds: 400,
    failureMode: 'refuse',
    timeScale: 20,
    pusherCapacity: { initialRate: 5, maxRate: 20, warmUpSeconds: 30 },
    pusherOverload: 'http-503',
    pusherMaxSessions: null,
    podNice: 10,
    runs: 1,
    phases: ['baseline', 'breakwater'],
    sre: false,
    outDir: out,
    json: false,
    writeBenchmarks: false,
    redisUrl: redis.url,
  });
  const { baseline, breakwater } = report;
  if (!baseline || !breakwater) throw new Error(`both phases must report:\n${table}`);

  // The storm, and its absence.
  expect(baseline.dialAttempts, table).toBeGreaterThan(100);
  expect(breakwater.dialAttempts, table).toBeLessThanOrEqual(baseline.dialAttempts * 0.05);
  expect(breakwater.timeToTripAllPodsMs, table).not.toBeNull();
  // Recovery went through the half-open probe, and the report lists every probe.
  expect(breakwater.halfOpenProbes, table).toBeGreaterThan(0);
  expect(report.probes?.length).toBe(breakwater.halfOpenProbes);
  expect(report.probes?.some((p) => p.outcome === 'success')).toBe(true);

  // pusher had its capacity (and the stand-in reported it) in both phases.
  for (const phase of ['baseline', 'breakwater'] as const) {
    expect(report.timelines[phase]?.some((p) => p.capacityPerSecond !== null)).toBe(true);
  }
  // No trip while pusher was healthy: not at the fleet's start against a cold pusher, not in
  // healthy traffic, not once it came back (every trip is one of the outage's).
  expect(breakwater.tripsWhilePusherHealthy, table).toBe(0);
  expect(report.runs[0]?.trips?.length).toBeGreaterThan(0);
  // The ramp was respected: the fleet's dials never ran ahead of its rate (plus its burst and the probes).
  expect(report.timelines.breakwater?.some((p) => (p.rampRatePerSecond ?? 0) > 0)).toBe(true);
  expect(breakwater.dialsBeyondRamp, table).toBe(0);

  // Nothing lost, everyone back, the app's own flow untouched.
  expect(breakwater.conversationsRequested, table).toBeGreaterThan(0);
  expect(breakwater.conversationsLost, table).toBe(0);
  expect(breakwater.conversationsViaFallback, table).toBeGreaterThan(0);
  expect(breakwater.recoveryTimeMs, table).not.toBeNull();
  expect(breakwater.sessionsNotRecovered, table).toBe(0);
  expect(breakwater.transcriptsToAppExpected, table).toBeGreaterThan(0);
  expect(breakwater.transcriptsToApp, table).toBe(breakwater.transcriptsToAppExpected);

  // What was written is what was returned.
  const written = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReplayReport;
  expect(written.breakwater).toEqual(breakwater);
  expect(written.runs).toHaveLength(1);
  expect(written.runs[0]?.breakwater).toEqual(breakwater);
  expect(written.spread.breakwater?.recoveryTimeMs?.median).toBe(breakwater.recoveryTimeMs);
  expect(written.scenario).toMatchObject({ pods: 3, sessions: 10, failureMode: 'refuse', timeScale: 20 });
  expect(written.machine.cores).toBeGreaterThan(0);
  expect(readFileSync(join(out, 'chart.html'), 'utf8')).toMatch(/<svg[\s\S]*Breakwater: dials against pusher/);
}, 300_000);
