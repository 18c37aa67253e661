import type { RepeatLog } from '@breakwater/breaker-core';
import type { PusherMetrics } from '../metrics/pusher-metrics.js';
import type { TimerHandle } from '../time/scheduler.js';
import type { ResolvedSessionOptions } from './session-options.js';

/** ok: go after `delayMs` (0 = now; more = a slot booked that far ahead, do not ask again). */
export type Admission =
  | { readonly ok: true; readonly delayMs: number }
  | { readonly ok: false; readonly retryAfterMs: number };

/**
 * Asks the cluster-wide reconnect ramp whether a reconnect attempt may start.
 * A ramp that fails or does not answer within `rampTimeoutMs` admits: the ramp
 * only spreads recovery, while the breaker (with its own Redis-down fallback)
 * still decides whether pusher may be called at all. Never rejects.
 */
export async function admit(o: ResolvedSessionOptions, metrics: PusherMetrics, repeat: RepeatLog): Promise<Admission> {
  const ramp = o.ramp;
  if (!ramp) return { ok: true, delayMs: 0 };
  let timer: TimerHandle | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = o.clock.setTimeout(() => resolve('timeout'), o.rampTimeoutMs);
  });
  try {
    const decision = await Promise.race([ramp.take(), timeout]);
    if (decision === 'timeout') throw new Error(`ramp did not answer within ${o.rampTimeoutMs} ms`);
    if (decision.admitted) {
      metrics.rampDecisions.inc({ result: decision.delayMs > 0 ? 'booked' : 'admitted' });
      return { ok: true, delayMs: decision.delayMs };
    }
    metrics.rampDecisions.inc({ result: 'deferred' });
    return { ok: false, retryAfterMs: Math.max(1, decision.retryAfterMs) };
  } catch (err) {
    metrics.rampDecisions.inc({ result: 'error' });
    repeat.warn('ramp_unavailable', o.sessionId, { err: String(err) }, 'reconnect ramp unavailable; admitting');
    return { ok: true, delayMs: 0 };
  } finally {
    if (timer !== undefined) o.clock.clearTimeout(timer);
  }
}
