import { isClusterBreaker, type RampAdmission } from '@breakwater/breaker-core';
import type { PusherMetrics } from '../metrics/pusher-metrics.js';
import type { TimerHandle } from '../time/scheduler.js';
import type { ResolvedSessionOptions } from './session-options.js';
import type { SessionWarnings } from './session-warnings.js';

/**
 * The ramp's answer. ok: go after `delayMs` (0 = now; more = a slot booked that far ahead,
 * do not ask again); `admission` is what to report the dial's outcome against (null when
 * no ramp decided: none given, or one that failed and let the attempt through).
 */
export type RampAnswer =
  | { readonly ok: true; readonly delayMs: number; readonly admission: RampAdmission | null }
  | { readonly ok: false; readonly retryAfterMs: number };

/** Go now, no ramp involved. */
export const UNRAMPED: RampAnswer = Object.freeze({ ok: true, delayMs: 0, admission: null });

/**
 * Asks the cluster-wide reconnect ramp whether a connect or reconnect attempt may
 * start. A ramp that fails or does not answer within `timeoutMs` (`rampTimeoutMs`)
 * admits: the ramp
 * only spreads recovery, while the breaker (with its own Redis-down fallback)
 * still decides whether pusher may be called at all. Never rejects.
 */
export async function askRamp(
  options: ResolvedSessionOptions,
  metrics: PusherMetrics,
  warnings: SessionWarnings,
  timeoutMs = options.rampTimeoutMs,
): Promise<RampAnswer> {
  const ramp = options.ramp;
  if (!ramp) return UNRAMPED;
  let timer: TimerHandle | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = options.clock.setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const decision = await Promise.race([ramp.take(), timeout]);
    if (decision === 'timeout') throw new Error(`ramp did not answer within ${timeoutMs} ms`);
    if (decision.admitted) {
      metrics.rampDecisions.inc({ result: decision.delayMs > 0 ? 'booked' : 'admitted' });
      return { ok: true, delayMs: decision.delayMs, admission: decision };
    }
    metrics.rampDecisions.inc({ result: 'deferred' });
    return { ok: false, retryAfterMs: Math.max(1, decision.retryAfterMs) };
  } catch (err) {
    metrics.rampDecisions.inc({ result: 'error' });
    warnings.warn('ramp_unavailable', { err: String(err) }, 'reconnect ramp unavailable; admitting');
    return UNRAMPED;
  } finally {
    if (timer !== undefined) options.clock.clearTimeout(timer);
  }
}

let warnedNoRamp = false;

/**
 * Once per process: a real ClusterBreaker without a ramp means a fleet whose
 * sessions all come back within `recoverySpreadMs` of the breaker closing (and all
 * first-connect at once when pods restart), spread by jitter only. Allowed — a
 * single pod may not need a ramp — but worth one line in the logs.
 */
export function warnIfNoRamp(options: ResolvedSessionOptions): void {
  if (warnedNoRamp || options.ramp !== null || !isClusterBreaker(options.breaker)) return;
  warnedNoRamp = true;
  options.logger.warn(
    { breaker: options.breaker.name, recoverySpreadMs: options.recoverySpreadMs },
    'PusherSession has a ClusterBreaker but no reconnect ramp: recovery and first connects are spread by jitter only (pass options.ramp, e.g. a RedisReconnectRamp)',
  );
}
