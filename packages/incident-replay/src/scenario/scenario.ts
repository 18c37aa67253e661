import { DEFAULT_BREAKER_CONFIG, DEFAULT_RECONNECT_RAMP_OPTIONS } from '@breakwater/breaker-core';
import type { PusherCapacity } from '@breakwater/pusher-stand-in';
import type { FailureMode, ReplayOptions } from '../options.js';

/**
 * The synthetic load each session generates, in scenario time. Sized so 30 pods
 * × 50 sessions at the default time-scale keep a 2-core machine about half busy
 * while pusher is healthy (the storm, not the load, is what the replay measures).
 */
export const LOAD_PROFILE = Object.freeze({
  /** One 100 ms PCM16 chunk (3,200 bytes at 16 kHz) every … ms. */
  audioEveryMs: 10_000,
  audioChunkBytes: 3_200,
  /** A transcript segment for the app (and pusher) every … ms. */
  transcriptEveryMs: 10_000,
  /** The app finishes a conversation and asks for it to be processed every … ms. */
  conversationEveryMs: 120_000,
  /** Users come and go: an app session lasts about this long, then a new one starts on its slot. */
  sessionLifetimeMs: 300_000,
  /** When the client closes the app's session (the old 1011), the user's app reconnects after … ms. */
  appReconnectMs: 10_000,
  /** The first users arrive spread over this window at the beginning of a phase. */
  startSpreadMs: 30_000,
  /** How long the local fallback takes to process a conversation. */
  fallbackWorkMs: 500,
});

/** pusher's burst: as many handshakes back to back as its warm bucket takes. */
export const PUSHER_BURST = 50;

/**
 * The ramp's burst: half of pusher's. Admissions leave a pod in step with the ramp, but a pod
 * whose event loop stalls dials the slots it was given late, several at once, and on a
 * saturated machine many pods stall together: the other half is room for those clumps.
 */
export const RAMP_BURST = 25;

/** The reconnect ramp's options in scenario time (rates per scenario second, durations scenario ms). */
export interface ReplayRamp {
  readonly ratePerSec: number;
  readonly minRatePerSec: number;
  readonly maxRatePerSec: number;
  readonly increaseFactor: number;
  readonly increaseStepPerSec: number;
  readonly burst: number;
  readonly maxWaitMs: number;
  readonly minRetryAfterMs: number;
  readonly adjustIntervalMs: number;
  readonly maxPauseMs: number;
  readonly idleResetMs: number;
}

const thousandths = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The reconnect ramp for a replay, in scenario time. With a pusher capacity (the default),
 * the ramp is configured from it as an operator who knows pusher's cold capacity would
 * (packages/breaker-core/README.md, "When pusher's cold capacity is known"): start at the
 * cold rate and grow linearly, one step per clean second, no faster than it warms up — so
 * it never overtakes pusher, and its cuts stay armed for a pusher slower than promised.
 * Without one (`--pusher-capacity none`): production's defaults, slow start included.
 */
export function replayRamp(capacity: ReplayOptions['pusherCapacity']): ReplayRamp {
  const d = DEFAULT_RECONNECT_RAMP_OPTIONS;
  const common = {
    burst: RAMP_BURST,
    maxWaitMs: d.maxWaitMs,
    minRetryAfterMs: d.minRetryAfterMs,
    adjustIntervalMs: d.adjustIntervalMs,
    maxPauseMs: d.maxPauseMs,
    idleResetMs: d.idleResetMs,
  };
  if (!capacity) {
    return {
      ...common,
      ratePerSec: d.ratePerSec,
      minRatePerSec: d.minRatePerSec,
      maxRatePerSec: d.maxRatePerSec,
      increaseFactor: d.increaseFactor,
      increaseStepPerSec: d.increaseStepPerSec,
    };
  }
  const warming = capacity.warmUpSeconds > 0 && capacity.maxRate > capacity.initialRate;
  const ratePerSec = thousandths(warming ? capacity.initialRate : capacity.maxRate);
  return {
    ...common,
    ratePerSec,
    minRatePerSec: Math.max(0.001, thousandths(ratePerSec / 10)),
    maxRatePerSec: thousandths(capacity.maxRate),
    increaseFactor: 1,
    // Per clean interval (1 s): the warm-up's slope, rounded down so the ramp never runs ahead.
    increaseStepPerSec: warming
      ? Math.floor(((capacity.maxRate - capacity.initialRate) / capacity.warmUpSeconds) * 1000) / 1000
      : 0,
  };
}

/** When things happen in one phase, as offsets from its start, in wall-clock ms. */
export interface Timeline {
  readonly failAtMs: number;
  readonly recoverAtMs: number;
  /** The latest moment the recovery watch ends, even if not every session is back. */
  readonly recoveryDeadlineMs: number;
  /** With --sre: when the operator force-opens and when they clear it. */
  readonly sreForceOpenAtMs: number;
  readonly sreClearAtMs: number;
}

export function timeline(o: ReplayOptions): Timeline {
  const wall = (s: number) => (s * 1_000) / o.timeScale;
  const failAtMs = wall(o.healthySeconds);
  const recoverAtMs = failAtMs + wall(o.outageSeconds);
  return {
    failAtMs,
    recoverAtMs,
    recoveryDeadlineMs: recoverAtMs + wall(o.recoverySeconds),
    sreForceOpenAtMs: failAtMs + wall(o.outageSeconds) / 4,
    sreClearAtMs: recoverAtMs,
  };
}

/**
 * The stand-in fault for a failure mode. `hang` is a stuck pusher process: live connections go
 * silent (no pongs, no answers) and new handshakes are accepted and never answered.
 */
export function faultFor(
  mode: FailureMode,
): { kind: 'hang'; stallHandshakes: true } | { kind: 'refuse' } | { kind: 'close'; code: number } {
  switch (mode) {
    case 'hang':
      return { kind: 'hang', stallHandshakes: true };
    case 'refuse':
      return { kind: 'refuse' };
    case 'close-1011':
      return { kind: 'close', code: 1011 };
  }
}

/**
 * Breaker and session settings for a time scale: every duration of the
 * production defaults divided by the scale, floored at what each option allows.
 * Redis-facing timeouts (command timeout) stay real: Redis is not compressed.
 */
export function scaledSettings(timeScale: number, ramp: ReplayRamp) {
  const s = (ms: number, min = 1) => Math.max(min, Math.round(ms / timeScale));
  const d = DEFAULT_BREAKER_CONFIG;
  const bucketMs = s(d.bucketMs, 100);
  const windowMs = Math.max(1_000, Math.ceil(s(d.windowMs) / bucketMs) * bucketMs);
  return {
    breaker: {
      config: {
        windowMs,
        bucketMs,
        failureThreshold: d.failureThreshold,
        minFailureRatio: d.minFailureRatio,
        // The probe schedule (1 s, 2 s, then every 3 s), compressed; the cap is never below the first cooldown.
        cooldownMs: s(d.cooldownMs, 100),
        cooldownMultiplier: d.cooldownMultiplier,
        maxCooldownMs: s(d.maxCooldownMs, 100),
        // The lease must outlast the probe's dial, whose deadline stays in wall time (below), or a
        // slow handshake would let a second pod probe: 10 s scaled, but never under 5 s wall.
        probeLeaseMs: Math.max(s(10_000), 5_000),
      },
      flushIntervalMs: s(100, 10),
      resyncIntervalMs: s(1_000, 50),
    },
    // Sessions run on the scaled scheduler, so their policy defaults (1 s → 60 s backoff, 60 s
    // degraded probes, 20 s heartbeats) are already in scenario time. Network deadlines are not
    // policy: a handshake or a ramp answer takes as long as it takes on this machine, so those
    // stay in wall time (scenario ms = wall ms × scale). Compressing them would measure this box's
    // CPU, and a ramp that times out admits, which would defeat it. The pong deadline is both: it
    // is how long a silent pusher goes unnoticed (policy, 10 s), but a pong from a stand-in busy
    // with 1,500 connections can take a while (network), so it is compressed down to 2 s wall.
    session: {
      connectTimeoutMs: 3_000 * timeScale,
      pongTimeoutMs: Math.max(10_000, 2_000 * timeScale),
      rampTimeoutMs: 1_000 * timeScale,
    },
    legacy: { connectTimeoutMs: 30_000 * timeScale },
    // The ramp books slots on Redis TIME, in wall ms; the pod converts its answers to scenario ms
    // (scaledRamp), so its rates are per wall second (scenario rate × scale) and its durations
    // wall ms (scenario ms ÷ scale, floored at what each option allows).
    ramp: {
      ratePerSec: ramp.ratePerSec * timeScale,
      minRatePerSec: ramp.minRatePerSec * timeScale,
      maxRatePerSec: ramp.maxRatePerSec * timeScale,
      increaseFactor: ramp.increaseFactor,
      increaseStepPerSec: ramp.increaseStepPerSec * timeScale,
      burst: ramp.burst,
      maxWaitMs: s(ramp.maxWaitMs, 0),
      minRetryAfterMs: s(ramp.minRetryAfterMs, 0),
      adjustIntervalMs: s(ramp.adjustIntervalMs, 10),
      maxPauseMs: s(ramp.maxPauseMs, 0),
      idleResetMs: s(ramp.idleResetMs, 1),
    },
    fallback: { concurrency: 4, timeoutMs: 30_000 },
  };
}

/**
 * The stand-in's capacity for a replay, in scenario time (the stand-in's clock is the scenario
 * clock, so rates are per scenario second and `Retry-After` is scenario seconds); null for none.
 */
export function pusherCapacityFor(o: ReplayOptions): PusherCapacity | null {
  if (!o.pusherCapacity) return null;
  return {
    initialRate: o.pusherCapacity.initialRate,
    maxRate: o.pusherCapacity.maxRate,
    warmUpMs: Math.round(o.pusherCapacity.warmUpSeconds * 1_000),
    // Twice the ramp's burst: Breakwater's ramp fits under a cold pusher, a stampede does not.
    burst: PUSHER_BURST,
    overload: o.pusherOverload,
    retryAfterSeconds: 5,
    maxSessions: o.pusherMaxSessions ?? 3 * o.pods * o.sessions,
  };
}
