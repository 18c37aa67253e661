import { randomBytes } from 'node:crypto';
import { startAdminServer } from '@breakwater/admin-api';
import { AdminClient } from '@breakwater/admin-api/client';
import { latencyQuantile } from '@breakwater/pusher-stand-in';
import { pino } from 'pino';
import type { PhaseName, ReplayOptions } from '../options.js';
import { CHART_STATES, type ChartState, type PodConfig, type PodSample, type ProbeRecord } from '../pod/messages.js';
import { cpuBusySampler } from '../report/machine.js';
import { faultFor, pusherCapacityFor, replayRamp, timeline } from '../scenario/scenario.js';
import { PodFleet } from './pod-fleet.js';
import { PusherProcess, type PusherStats } from './pusher-process.js';
import type { ReplayRedis } from './replay-redis.js';

/** One point of a phase's timeline (every tick, ~0.5 s wall). */
export interface TimelinePoint {
  /** Scenario seconds since the phase began. */
  readonly t: number;
  /** Dials pusher received, per scenario second. */
  readonly dialsPerSecond: number;
  /** WebSocket handshakes pusher completed (connects and reconnects), per scenario second. */
  readonly connectsPerSecond: number;
  readonly sessions: Record<ChartState, number>;
  /** Worst pod's event-loop delay p99 over the tick, wall ms. */
  readonly eventLoopP99Ms: number;
  /** Whole-machine CPU busy, 0–1. */
  readonly cpuBusy: number;
  /** Pods whose breaker does not admit calls (Breakwater only). */
  readonly podsNotAdmitting: number;
  /** The reconnect ramp's fleet-wide rate, per scenario second: the highest any pod saw (Breakwater only). */
  readonly rampRatePerSecond: number | null;
  /** Reconnects the ramp admitted, fleet-wide, per scenario second (Breakwater only). */
  readonly rampAdmittedPerSecond: number | null;
  /** The stand-in's capacity for new handshakes now, per scenario second (null: no capacity). */
  readonly capacityPerSecond: number | null;
  /** Handshakes the stand-in refused as overload, per scenario second. */
  readonly overloadsPerSecond: number;
  /**
   * Handshakes the stand-in accepted only after their client had given up (its connect timeout
   * closed the socket first), per scenario second: a starved pusher's wasted work.
   */
  readonly abandonedHandshakesPerSecond: number;
  /**
   * p99 of how long the stand-in took to answer the handshakes it answered in this tick, from
   * the upgrade request to the accept, scenario ms (its histogram's bucket bound; null: none).
   */
  readonly handshakeP99Ms: number | null;
  /** Dials pusher received since the phase began (the timeline's cumulative count). */
  readonly dialsTotal: number;
}

/** One scenario second in which the stand-in refused handshakes as overload. */
export interface OverloadSecond {
  /** Scenario seconds since the phase began (negative: the fleet's start, before the timeline). */
  readonly t: number;
  readonly rejected: number;
  /** The capacity's rate then, handshakes a scenario second. */
  readonly rate: number;
}

/** What a phase produced: the raw material of the report. */
export interface PhaseRun {
  readonly phase: PhaseName;
  readonly timeline: TimelinePoint[];
  readonly marks: { readonly failAt: number; readonly recoverAt: number };
  readonly dialAttemptsDuringOutage: number;
  readonly recoveredAfterMs: number | null;
  readonly sessionsNotRecovered: number;
  readonly finals: PodSample[];
  readonly trippedAt: Array<number | null>;
  /**
   * Every move of any pod's breaker from admitting to not admitting, scenario seconds since the
   * phase began (negative: while the sessions started), with the generation it began.
   */
  readonly trips: ReadonlyArray<{ readonly t: number; readonly pod: number; readonly generation: number }>;
  /** The stand-in's overload refusals, by scenario second (its capacity's ledger). */
  readonly overloads: readonly OverloadSecond[];
  /** Half-open probes reported by any pod, in order: scenario seconds since the phase began. */
  readonly probes: ReadonlyArray<{ readonly t: number; readonly pod: number } & Omit<ProbeRecord, 'at'>>;
  readonly health: { unhealthyPods: number; failedProbes: number; exitedPods: number };
  readonly pusher: PusherStats;
  readonly sre: ReadonlyArray<{ readonly at: number; readonly action: string; readonly ok: boolean }>;
  readonly cpuBusyPeak: number;
  readonly cpuBusyMean: number;
}

const TICK_MS = 500;
const SRE_TOKEN_NAME = 'sre-oncall';

export interface PhaseDeps {
  readonly options: ReplayOptions;
  readonly redis: ReplayRedis | undefined;
  readonly progress: (line: string) => void;
}

/** Runs one phase end to end: stand-in, (admin API), pods, the failure timeline, drain. */
export async function runPhase(phase: PhaseName, deps: PhaseDeps): Promise<PhaseRun> {
  const o = deps.options;
  const plan = timeline(o);
  const scenarioSeconds = (wallMs: number) => (wallMs * o.timeScale) / 1_000;
  const origin = Date.now();
  const pusher = await PusherProcess.start(o.timeScale, origin);
  /** The stand-in's clock (scenario ms) at a wall time. */
  const pusherClock = (wall: number) => origin + (wall - origin) * o.timeScale;
  let admin: { client: AdminClient; close(): Promise<void> } | undefined;
  let fleet: PodFleet | undefined;
  try {
    // The admin API runs beside every Breakwater phase; with --sre an operator uses it mid-outage.
    if (phase === 'breakwater') admin = await startAdmin(deps.redis);
    const configs: PodConfig[] = Array.from({ length: o.pods }, (_, pod) => ({
      pod,
      phase,
      sessions: o.sessions,
      pusherUrl: pusher.url,
      redisUrl: deps.redis?.url,
      keyPrefix: deps.redis?.prefix ?? 'bw',
      timeScale: o.timeScale,
      failureMode: o.failureMode,
      ramp: replayRamp(o.pusherCapacity),
    }));
    deps.progress(`[${phase}] starting ${o.pods} pods × ${o.sessions} sessions …`);
    // Generous: on a shared 2-core machine, 30 tsx processes can take minutes to start.
    fleet = await PodFleet.start(configs, 600_000, o.podNice);
    // pusher starts cold as the fleet starts: the sessions' first connects meet a warming capacity.
    await pusher.setCapacity(pusherCapacityFor(o));
    const beganAt = Date.now();
    await fleet.begin(300_000);

    const cpu = cpuBusySampler();
    const points: TimelinePoint[] = [];
    const cpuSamples: number[] = [];
    const sre: Array<{ at: number; action: string; ok: boolean }> = [];
    const start = Date.now();
    let last = await pusher.stats();
    let lastAdmitted = 0;
    let lastAt = start;
    const dialsAtStart = last.dials;
    let stage: 'healthy' | 'outage' | 'recovery' = 'healthy';
    let dialsAtFail = 0;
    let failedAtWall = Number.POSITIVE_INFINITY;
    let dialsAtRecover = 0;
    let recoveredAfterMs: number | null = null;
    let notRecovered = 0;
    let sreOpened = false;
    let sreCleared = false;

    for (;;) {
      await sleep(TICK_MS);
      const now = Date.now();
      const elapsed = now - start;
      if (stage === 'healthy' && elapsed >= plan.failAtMs) {
        failedAtWall = Date.now();
        await pusher.setFault(faultFor(o.failureMode));
        dialsAtFail = (await pusher.stats()).dials;
        stage = 'outage';
      }
      if (admin && o.sre && stage === 'outage' && !sreOpened && elapsed >= plan.sreForceOpenAtMs) {
        sreOpened = true;
        const ttlSeconds = Math.max(10, Math.ceil((plan.recoverAtMs - elapsed) / 1_000) + 30);
        sre.push({
          at: scenarioSeconds(elapsed),
          action: 'force-open',
          ok: await tryAdmin(() =>
            admin?.client.forceOpen('pusher', { reason: 'replay: pusher outage, holding the fleet off', ttlSeconds }),
          ),
        });
      }
      if (stage === 'outage' && elapsed >= plan.recoverAtMs) {
        await pusher.setFault({ kind: 'none' });
        dialsAtRecover = (await pusher.stats()).dials;
        stage = 'recovery';
      }
      if (admin && sreOpened && !sreCleared && elapsed >= plan.sreClearAtMs) {
        sreCleared = true;
        sre.push({
          at: scenarioSeconds(elapsed),
          action: 'clear-override',
          ok: await tryAdmin(() => admin?.client.clearOverride('pusher', 'replay: pusher is back')),
        });
      }

      const stats = await pusher.stats();
      const samples = fleet.samples();
      const sessions = sumStates(samples);
      const wallSeconds = (now - lastAt) / 1_000;
      const perScenarioSecond = (n: number) => n / (wallSeconds * o.timeScale);
      const busy = cpu();
      cpuSamples.push(busy);
      const rates = samples.flatMap((s) => (s.rampRatePerSecond === null ? [] : [s.rampRatePerSecond]));
      const admitted = samples.reduce((n, s) => n + (s.rampAdmitted ?? 0), 0);
      const rejected = (x: PusherStats) => Object.values(x.capacity.rejected).reduce((a, b) => a + b, 0);
      const point: TimelinePoint = {
        t: Math.round(scenarioSeconds(elapsed) * 10) / 10,
        dialsPerSecond: perScenarioSecond(stats.dials - last.dials),
        connectsPerSecond: perScenarioSecond(stats.connections - last.connections),
        sessions,
        eventLoopP99Ms: Math.max(0, ...samples.map((s) => s.eventLoopP99Ms)),
        cpuBusy: busy,
        podsNotAdmitting: samples.filter(
          (s) => s.breakerState !== null && !['closed', 'forced_closed'].includes(s.breakerState),
        ).length,
        rampRatePerSecond: rates.length > 0 ? Math.round(Math.max(...rates) * 10) / 10 : null,
        rampAdmittedPerSecond: phase === 'breakwater' ? perScenarioSecond(Math.max(0, admitted - lastAdmitted)) : null,
        capacityPerSecond: stats.capacity.rate,
        overloadsPerSecond: perScenarioSecond(rejected(stats) - rejected(last)),
        abandonedHandshakesPerSecond: perScenarioSecond(
          Math.max(0, stats.abandonedHandshakes - last.abandonedHandshakes),
        ),
        handshakeP99Ms: latencyQuantile(
          stats.handshakeLatency.buckets.map((n, i) => Math.max(0, n - (last.handshakeLatency.buckets[i] ?? 0))),
          0.99,
        ),
        dialsTotal: stats.dials - dialsAtStart,
      };
      points.push(point);
      last = stats;
      lastAdmitted = admitted;
      lastAt = now;
      deps.progress(progressLine(phase, stage, point, fleet.health().unhealthyPods, samples.length, o.pods));

      if (stage === 'recovery') {
        // Recovered: every slot holds a connected session (a brand-new user's first connect aside).
        const waiting = o.pods * o.sessions - sessions.connected - sessions.starting;
        if (waiting === 0) {
          recoveredAfterMs = scenarioSeconds(now - start - plan.recoverAtMs) * 1_000;
          break;
        }
        if (elapsed >= plan.recoveryDeadlineMs) {
          notRecovered = waiting;
          break;
        }
      }
    }

    fleet.broadcast({ type: 'stop-load' });
    // Conversations in flight get their full timeout and a fallback run (scenario 30 s + 30 s), then stop.
    // At least 30 s wall: on a busy machine timers run late, and a conversation cut off by the
    // drain would be counted lost although its fallback was still running.
    const drainMs = Math.max(30_000, (60_000 + 5_000) / o.timeScale + 2_000);
    deps.progress(`[${phase}] draining conversations (up to ${Math.round(drainMs / 1_000)} s) …`);
    const health = fleet.health(); // before finish(): pods exiting at the end are not failures
    const finals = await fleet.finish(drainMs, drainMs + 10_000);
    const finalStats = await pusher.stats();
    const startClock = pusherClock(start);
    return {
      phase,
      timeline: points,
      marks: { failAt: scenarioSeconds(plan.failAtMs), recoverAt: scenarioSeconds(plan.recoverAtMs) },
      dialAttemptsDuringOutage: dialsAtRecover - dialsAtFail,
      recoveredAfterMs,
      sessionsNotRecovered: notRecovered,
      finals,
      trippedAt: finals.map((f) => {
        const first = f.tripTimes.find((t) => t >= failedAtWall);
        return first === undefined ? null : scenarioSeconds(first - failedAtWall) * 1_000;
      }),
      trips: finals
        .flatMap((f) =>
          f.tripTimes.map((at, i) => ({
            t: Math.round(scenarioSeconds(at - start) * 10) / 10,
            pod: f.pod,
            generation: f.tripGenerations[i] ?? -1,
          })),
        )
        .sort((a, b) => a.t - b.t),
      overloads: finalStats.capacity.perSecond
        .filter((x) => x.at >= pusherClock(beganAt) - 1_000)
        .map((x) => ({
          t: (x.at - startClock) / 1_000,
          rejected: Object.values(x.rejected).reduce((a, b) => a + b, 0),
          rate: x.rate,
        }))
        .filter((x) => x.rejected > 0),
      probes: finals
        .flatMap((f) =>
          f.probes.map(({ at, ...p }) => ({ t: Math.round(scenarioSeconds(at - start) * 10) / 10, pod: f.pod, ...p })),
        )
        .sort((a, b) => a.t - b.t),
      health,
      pusher: finalStats,
      sre,
      cpuBusyPeak: Math.max(0, ...cpuSamples),
      cpuBusyMean: cpuSamples.reduce((a, b) => a + b, 0) / Math.max(1, cpuSamples.length),
    };
  } finally {
    fleet?.kill();
    await admin?.close();
    await pusher.close();
  }
}

async function startAdmin(redis: ReplayRedis | undefined): Promise<{ client: AdminClient; close(): Promise<void> }> {
  if (!redis) throw new Error('--sre needs Redis');
  const token = randomBytes(24).toString('hex');
  const server = await startAdminServer(
    {
      redisUrl: redis.url,
      tokens: [{ name: SRE_TOKEN_NAME, role: 'operator', token }],
      warnings: [],
      host: '127.0.0.1',
      port: 0,
      keyPrefix: redis.prefix,
      logLevel: 'silent',
      metricsAccess: 'public',
      rateBurst: 10,
      ratePerMinute: 60,
      shutdownTimeoutMs: 2_000,
    },
    pino({ level: 'silent' }),
  );
  return { client: new AdminClient({ baseUrl: server.url, token }), close: () => server.close() };
}

async function tryAdmin(call: () => Promise<unknown> | undefined): Promise<boolean> {
  try {
    await call();
    return true;
  } catch {
    return false;
  }
}

function sumStates(samples: readonly PodSample[]): Record<ChartState, number> {
  const total = Object.fromEntries(CHART_STATES.map((s) => [s, 0])) as Record<ChartState, number>;
  for (const s of samples) for (const state of CHART_STATES) total[state] += s.sessionsByState[state];
  return total;
}

function progressLine(
  phase: PhaseName,
  stage: string,
  p: TimelinePoint,
  unhealthy: number,
  reporting: number,
  pods: number,
): string {
  const s = p.sessions;
  return (
    `[${phase}] t=${Math.round(p.t)}s ${stage.padEnd(8)} pods ${reporting}/${pods} (unhealthy ${unhealthy}) · ` +
    `connected ${s.connected} reconnecting ${s.reconnecting} degraded ${s.degraded} probing ${s.probing} ` +
    `closed ${s.closed_by_client} · dials/s ${Math.round(p.dialsPerSecond)} · loop p99 ${Math.round(p.eventLoopP99Ms)} ms · cpu ${Math.round(p.cpuBusy * 100)}%`
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
