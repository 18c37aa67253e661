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

/** Reconnects a second (wall) the replay's stand-in absorbs on a 2-core machine; see scaledSettings. */
export const REPLAY_RAMP_WALL_PER_SEC = 100;

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

/** The stand-in fault for a failure mode. */
export function faultFor(mode: FailureMode): { kind: 'hang' } | { kind: 'refuse' } | { kind: 'close'; code: number } {
  switch (mode) {
    case 'hang':
      return { kind: 'hang' };
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
export function scaledSettings(timeScale: number) {
  const s = (ms: number, min = 1) => Math.max(min, Math.round(ms / timeScale));
  const bucketMs = s(1_000, 100);
  const windowMs = Math.max(1_000, Math.ceil(s(30_000) / bucketMs) * bucketMs);
  return {
    breaker: {
      config: {
        windowMs,
        bucketMs,
        failureThreshold: 20,
        cooldownMs: s(60_000, 100),
        probeLeaseMs: s(10_000, 100),
      },
      flushIntervalMs: s(100, 10),
      resyncIntervalMs: s(1_000, 50),
    },
    // Sessions run on the scaled scheduler, so their policy defaults (1 s → 60 s backoff, 60 s
    // degraded probes, 20 s heartbeats) are already in scenario time. Network deadlines are not
    // policy: a handshake, a pong or a ramp answer takes as long as it takes on this machine, so
    // those stay in wall time (scenario ms = wall ms × scale). Compressing them would measure this
    // box's CPU, and a ramp that times out admits, which would defeat it.
    session: {
      connectTimeoutMs: 3_000 * timeScale,
      pongTimeoutMs: 10_000 * timeScale,
      rampTimeoutMs: 1_000 * timeScale,
    },
    legacy: { connectTimeoutMs: 30_000 * timeScale },
    // The ramp is sized to what pusher takes without tipping over. Production's default is 50 new
    // handshakes a second for a real pusher; here "pusher" is one process sharing 2 cores with 30
    // pods, and it takes about 100 a second (wall) before handshakes start timing out.
    ramp: { ratePerSec: Math.min(50 * timeScale, REPLAY_RAMP_WALL_PER_SEC), burst: 50 },
    fallback: { concurrency: 4, timeoutMs: 30_000 },
  };
}
