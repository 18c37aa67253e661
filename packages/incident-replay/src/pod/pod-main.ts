/**
 * One listen pod of the replay, in its own process: `sessions` app slots
 * streaming to pusher through the phase's client (legacy or Breakwater),
 * reporting a sample every second to the orchestrator over IPC.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import {
  admitsCalls,
  type ClusterBreaker,
  createClusterBreaker,
  type RedisClient,
  RedisReconnectRamp,
} from '@breakwater/breaker-core';
import { ConversationFallback } from '@breakwater/listen-client';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { type ScaledScheduler, scaledScheduler } from '../scenario/scaled-scheduler.js';
import { LOAD_PROFILE, scaledSettings } from '../scenario/scenario.js';
import { AppSlot, type PodTally } from './app-slot.js';
import {
  CHART_STATES,
  type ChartState,
  type OrchestratorMessage,
  type PodConfig,
  type PodMessage,
  type ProbeRecord,
} from './messages.js';
import { DialCounter } from './observed-dialer.js';
import { breakwaterClient, type ClientContext, legacyClient } from './pusher-client.js';
import { type ScaledRamp, scaledRamp } from './scaled-ramp.js';

const SAMPLE_EVERY_MS = 500;

function send(message: PodMessage): void {
  process.send?.(message);
}

let config: PodConfig;
let breaker: ClusterBreaker | undefined;
let rampClient: RedisClient | undefined;
let ramp: ScaledRamp | undefined;
/** Lease token → where it was granted (shared or local), for the probe records. */
const leaseSources = new Map<string, 'shared' | 'local'>();
/** Wall times this pod's breaker stopped admitting calls (bounded: the first few are what count). */
const tripTimes: number[] = [];
const tripGenerations: number[] = [];
/** Half-open probes this pod's sessions made and reported (bounded like tripTimes). */
const probes: ProbeRecord[] = [];
const MAX_RECORDS = 64;
const slots: AppSlot[] = [];
const counter = new DialCounter();
const tally: PodTally = {
  conversationsRequested: 0,
  viaPusher: 0,
  viaFallback: 0,
  failed: 0,
  transcriptsToApp: 0,
  transcriptsToAppExpected: 0,
  appSessionsClosed: 0,
};
let clock: ScaledScheduler;
let period: IntervalHistogram;
let whole: IntervalHistogram;
let sampler: NodeJS.Timeout | undefined;

async function start(c: PodConfig): Promise<void> {
  config = c;
  period = monitorEventLoopDelay({ resolution: 40 });
  whole = monitorEventLoopDelay({ resolution: 40 });
  period.enable();
  whole.enable();
  clock = scaledScheduler(c.timeScale);
  const settings = scaledSettings(c.timeScale, c.ramp);
  const ctx: ClientContext = {
    pusherUrl: c.pusherUrl,
    clock,
    counter,
    session: settings.session,
    legacy: settings.legacy,
  };
  let make = (uid: string) => legacyClient(uid, ctx);
  if (c.phase === 'breakwater') {
    if (!c.redisUrl) throw new Error('the breakwater phase needs Redis');
    const registry = new Registry();
    const logger = pino({ level: process.env.BREAKWATER_REPLAY_LOG ?? 'silent' }, pino.destination(2));
    breaker = await createClusterBreaker({
      name: 'pusher',
      redis: c.redisUrl,
      prefix: c.keyPrefix,
      podId: `pod-${c.pod}`,
      registry,
      logger,
      ...settings.breaker,
    });
    breaker.onStateChange((e) => {
      if (!admitsCalls(e.to) && admitsCalls(e.from) && tripTimes.length < MAX_RECORDS) {
        tripTimes.push(Date.now());
        tripGenerations.push(e.generation);
      }
    });
    breaker.onProbeGranted((e) => {
      if (leaseSources.size < MAX_RECORDS) leaseSources.set(e.lease.token, e.source);
    });
    breaker.onProbeReported((e) => {
      if (probes.length >= MAX_RECORDS) return;
      probes.push({
        at: Date.now(),
        outcome: e.outcome,
        accepted: e.accepted,
        generation: e.lease.generation,
        source: leaseSources.get(e.lease.token) ?? 'unknown',
      });
    });
    // The ramp's deadline is the session's rampTimeoutMs (1 s wall): a shorter client timeout would
    // fail ramp calls under load, and a ramp that fails admits — it would leak the recovery storm.
    rampClient = new Redis(c.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1_000 });
    rampClient.on('error', () => {});
    ramp = scaledRamp(
      // The pod's registry gets the ramp's breakwater_ramp_* series (its rate, feedback, pauses).
      new RedisReconnectRamp({ client: rampClient, name: 'pusher', prefix: c.keyPrefix, registry, ...settings.ramp }),
      c.timeScale,
    );
    const fallback = new ConversationFallback({
      // The pod's local conversation processing: async work off the event loop's critical path.
      handler: () =>
        new Promise((resolve) => clock.setTimeout(() => resolve({ processed: true }), LOAD_PROFILE.fallbackWorkMs)),
      clock,
      ...settings.fallback,
    });
    const bw = { breaker, ramp, fallback, registry, logger };
    make = (uid: string) => breakwaterClient(uid, { ...ctx, breakwater: bw });
  }
  for (let i = 0; i < c.sessions; i++) slots.push(new AppSlot(`p${c.pod}-s${i}`, clock, tally, make));
  sampler = setInterval(() => send(sample(false)), SAMPLE_EVERY_MS);
  send({ type: 'ready', pod: c.pod });
}

/**
 * Sessions start only once every pod is up, so start-up work never competes with the scenario.
 * `begun` goes out once every user has arrived (their first connects may still be under way: a
 * cold pusher, a ramp booking them later, or the old client's retries are part of the scenario,
 * and on a busy machine waiting for all of them would hold the phase up for minutes).
 */
function begin(): void {
  // Users arrive spread over the first seconds, not all in one tick.
  let arrived = 0;
  for (const [i, slot] of slots.entries()) {
    clock.setTimeout(
      () => {
        void slot.start().catch(() => {});
        if (++arrived === slots.length) send({ type: 'begun', pod: config.pod });
      },
      (LOAD_PROFILE.startSpreadMs * i) / slots.length,
    );
  }
}

function sample(final: boolean): PodMessage {
  const sessionsByState = Object.fromEntries(CHART_STATES.map((s) => [s, 0])) as Record<ChartState, number>;
  let pending = 0;
  for (const slot of slots) {
    const state = slot.chartState();
    if (state) sessionsByState[state]++;
    pending += slot.pending;
  }
  const ms = (h: IntervalHistogram, p: number) => (h.count > 0 ? h.percentile(p) / 1e6 : 0);
  const message: PodMessage = {
    type: 'sample',
    pod: config.pod,
    at: Date.now(),
    sessionsByState,
    dials: counter.dials,
    eventLoopP99Ms: ms(period, 99),
    eventLoopMaxMs: period.count > 0 ? period.max / 1e6 : 0,
    eventLoopPhaseP99Ms: ms(whole, 99),
    eventLoopPhaseMaxMs: whole.count > 0 ? whole.max / 1e6 : 0,
    breakerState: breaker?.state ?? null,
    rampRatePerSecond: ramp?.rampRatePerSecond() ?? null,
    rampAdmitted: ramp?.admitted ?? null,
    tripTimes,
    tripGenerations,
    probes,
    conversations: {
      requested: tally.conversationsRequested,
      viaPusher: tally.viaPusher,
      viaFallback: tally.viaFallback,
      pending,
    },
    transcriptsToApp: tally.transcriptsToApp,
    transcriptsToAppExpected: tally.transcriptsToAppExpected,
    appSessionsClosed: tally.appSessionsClosed,
    rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20),
    final,
  };
  period.reset();
  return message;
}

/** Lets conversations in flight end (bounded by drainMs), closes everything, sends the final sample. */
async function finish(drainMs: number): Promise<void> {
  for (const slot of slots) slot.stop();
  await Promise.race([Promise.all(slots.map((s) => s.settled())), new Promise((r) => setTimeout(r, drainMs))]);
  clearInterval(sampler);
  send(sample(true));
  await Promise.race([
    Promise.all(slots.map((s) => s.close())).then(() => breaker?.close()),
    new Promise((r) => setTimeout(r, 2_000)),
  ]);
  rampClient?.disconnect();
  setTimeout(() => process.exit(0), 50);
}

process.on('message', (m: OrchestratorMessage) => {
  switch (m.type) {
    case 'start':
      start(m.config).catch((err: unknown) => {
        send({ type: 'error', pod: m.config.pod, message: String((err as Error)?.stack ?? err) });
        process.exit(1);
      });
      break;
    case 'begin':
      begin();
      break;
    case 'probe':
      send({ type: 'probe-ack', id: m.id });
      break;
    case 'stop-load':
      for (const slot of slots) slot.stop();
      break;
    case 'finish':
      void finish(m.drainMs);
      break;
  }
});

// The orchestrator going away means the replay is over: never linger as an orphan.
process.on('disconnect', () => process.exit(0));
