import { type BreakerConfig, configHash } from '../config/breaker-config.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';
import { type BreakerRecord, countFailingPods, effectiveState, liveLease, MAX_TRACKED_PODS } from './breaker-record.js';
import type { BreakerAction, BreakerState, BreakerTransition, OverrideMode } from './breaker-state.js';
import { cooldownFor } from './cooldown.js';
import { addToWindow, clearWindow, createWindow, sumWindow } from './sliding-window.js';

/**
 * The breaker's rules as pure functions over a {@link BreakerRecord}. `now` is
 * read once per operation by the caller and passed down (gobreaker's habit).
 * Each function mutates the record and returns the transitions it caused, in
 * order; inputs are validated by the caller before any of these run.
 *
 * The Lua scripts in ../lua implement exactly these rules; the conformance and
 * property tests hold the two to the same results.
 */
/** A transition as the rules produce it; the store adds the breaker's name when publishing. */
export type Transition = Omit<BreakerTransition, 'name'>;

type Out = Transition[];

function transition(
  r: BreakerRecord,
  out: Out,
  now: number,
  action: BreakerAction,
  from: BreakerState,
  to: BreakerState,
  actor: string,
  reason: string,
): void {
  r.generation += 1;
  r.lease = null; // every transition fences the outstanding probe
  out.push({
    action,
    from,
    to,
    state: effectiveState(r),
    generation: r.generation,
    at: now,
    actor,
    reason,
    overrideExpiresAt: r.override?.expiresAt ?? null,
    incarnation: r.incarnation,
  });
}

/** Time-driven changes due by `now`: an override lapsing, then open → half_open. */
export function applyDue(r: BreakerRecord, now: number, out: Out): void {
  if (r.override && r.override.expiresAt <= now) {
    const from = effectiveState(r);
    // Stamped with when it lapsed, not when a call noticed: the audit says when the fleet went back to automatic.
    const expiredAt = r.override.expiresAt;
    r.override = null;
    transition(r, out, expiredAt, 'override_expired', from, effectiveState(r), 'system', 'override expired');
  }
  if (r.auto === 'open' && r.cooldownUntil !== null && r.cooldownUntil <= now) {
    r.auto = 'half_open';
    r.cooldownUntil = null;
    r.halfOpenSuccesses = 0;
    transition(r, out, now, 'half_open', 'open', 'half_open', 'system', 'cooldown ended');
  }
}

function open(r: BreakerRecord, now: number, out: Out, action: 'trip' | 'reopen', actor: string, reason: string): void {
  const from = r.auto;
  r.auto = 'open';
  r.openedAt = now;
  r.halfOpenSuccesses = 0;
  transition(r, out, now, action, from, 'open', actor, reason);
  // After the bump: the jitter is keyed on the generation of this opening.
  r.cooldownUntil = now + cooldownFor(r.config, r.probeFailures, r.generation, now);
}

/** Automatic state to closed with an empty window and no escalation: shared by close and reset. */
function closeAutomatic(r: BreakerRecord): void {
  r.auto = 'closed';
  r.openedAt = null;
  r.cooldownUntil = null;
  r.probeFailures = 0;
  r.halfOpenSuccesses = 0;
  clearWindow(r.window);
  r.failingPods.clear();
}

function close(r: BreakerRecord, now: number, out: Out, actor: string, reason: string): void {
  const from = r.auto;
  closeAutomatic(r);
  transition(r, out, now, 'close', from, 'closed', actor, reason);
}

function probeSucceeded(r: BreakerRecord, now: number, out: Out, actor: string, count: number): void {
  r.halfOpenSuccesses += count;
  r.lease = null;
  if (r.halfOpenSuccesses >= r.config.successThreshold) {
    close(r, now, out, actor, `${r.halfOpenSuccesses} successful probe(s)`);
  }
}

function probeFailed(r: BreakerRecord, now: number, out: Out, actor: string): void {
  r.probeFailures += 1;
  open(r, now, out, 'reopen', actor, 'probe failed');
}

export interface RecordResult {
  readonly transitions: Out;
}

/** Adds a pod's outcome deltas to the window and applies the trip rules. */
export function recordOutcomes(r: BreakerRecord, now: number, podId: string, failures: number, successes: number): Out {
  const out: Out = [];
  applyDue(r, now, out);
  addToWindow(r.window, r.config.bucketMs, now, failures, successes);
  if (failures > 0) trackFailingPod(r, podId, now);

  if (r.auto === 'closed') {
    const w = sumWindow(r.window, r.config.bucketMs, now);
    const rule = tripRule(r.config, w.failures, w.successes);
    if (rule !== null && countFailingPods(r, now) >= r.config.quorum) open(r, now, out, 'trip', podId, rule);
  } else if (r.auto === 'half_open' && r.config.mode === 'shadow') {
    // Shadow mode lets every call through, so ordinary outcomes act as the probe.
    if (failures > 0) probeFailed(r, now, out, podId);
    else if (successes > 0) probeSucceeded(r, now, out, podId, successes);
  }
  return out;
}

/**
 * Which trip rule the window's counts meet, as the audit reason, or null for none
 * (the quorum is checked by the caller). The count rule: failures ≥ failureThreshold
 * and failures ≥ minFailureRatio × calls, so a few failures in a big connect wave do
 * not trip. The optional rate rule: failures / calls ≥ failureRate.threshold over at
 * least failureRate.minimumCalls calls. lua/includes/rules.lua computes the same, with
 * the same floating-point expressions, so both stores agree on every boundary.
 */
export function tripRule(config: BreakerConfig, failures: number, successes: number): string | null {
  const calls = failures + successes;
  if (failures >= config.failureThreshold && failures >= config.minFailureRatio * calls) {
    return `${failures} failures in window (of ${calls} calls)`;
  }
  const rate = config.failureRate;
  if (rate !== null && calls >= rate.minimumCalls && failures / calls >= rate.threshold) {
    return `failure rate ${failures}/${calls} in window`;
  }
  return null;
}

function trackFailingPod(r: BreakerRecord, podId: string, now: number): void {
  r.failingPods.delete(podId); // re-insert: Map order becomes recency order
  r.failingPods.set(podId, now);
  for (const [pod, at] of r.failingPods) {
    if (at > now - r.config.windowMs && r.failingPods.size <= MAX_TRACKED_PODS) break;
    r.failingPods.delete(pod);
  }
}

export type AcquireResult =
  | { readonly granted: true; readonly lease: ProbeLease }
  | { readonly granted: false; readonly reason: 'not_half_open' }
  | { readonly granted: false; readonly reason: 'held'; readonly holder: string; readonly expiresAt: number };

/** Grants the single probe lease of the current half-open generation, if free (or already this pod's). */
export function acquireProbe(r: BreakerRecord, now: number, podId: string, out: Out): AcquireResult {
  applyDue(r, now, out);
  if (effectiveState(r) !== 'half_open') return { granted: false, reason: 'not_half_open' };
  const held = liveLease(r, now);
  if (held && held.holder !== podId) {
    return { granted: false, reason: 'held', holder: held.holder, expiresAt: held.expiresAt };
  }
  if (!held) {
    r.leaseSeq += 1;
    r.lease = {
      // incarnation.generation.sequence: unique even across a re-created or restored record
      token: `${r.incarnation}.${r.generation}.${r.leaseSeq}`,
      holder: podId,
      expiresAt: now + r.config.probeLeaseMs,
      generation: r.generation,
    };
  }
  const lease = r.lease as NonNullable<BreakerRecord['lease']>;
  return {
    granted: true,
    lease: {
      breaker: r.name,
      token: lease.token,
      generation: lease.generation,
      holder: lease.holder,
      expiresAt: lease.expiresAt,
    },
  };
}

export type ReportResult =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly reason: 'stale' | 'expired' };

/** Applies a probe result, but only from the live lease of the current generation. */
export function reportProbe(
  r: BreakerRecord,
  now: number,
  token: string,
  outcome: ProbeOutcome,
  out: Out,
): ReportResult {
  applyDue(r, now, out);
  const lease = r.lease;
  if (!lease || lease.token !== token || lease.generation !== r.generation || r.auto !== 'half_open') {
    return { accepted: false, reason: 'stale' };
  }
  if (lease.expiresAt <= now) return { accepted: false, reason: 'expired' };
  if (outcome === 'success') probeSucceeded(r, now, out, lease.holder, 1);
  else probeFailed(r, now, out, lease.holder);
  return { accepted: true };
}

export function setOverride(
  r: BreakerRecord,
  now: number,
  mode: OverrideMode,
  actor: string,
  reason: string,
  ttlMs: number,
  out: Out,
): void {
  applyDue(r, now, out);
  const from = effectiveState(r);
  r.override = { mode, reason, actor, setAt: now, expiresAt: now + ttlMs };
  transition(r, out, now, mode === 'forced_open' ? 'force_open' : 'force_close', from, mode, actor, reason);
}

/** Returns to automatic state; a no-op (no transition, no audit) when there is no override. */
export function clearOverride(r: BreakerRecord, now: number, actor: string, reason: string, out: Out): void {
  applyDue(r, now, out);
  if (!r.override) return;
  const from = effectiveState(r);
  r.override = null;
  transition(r, out, now, 'clear_override', from, effectiveState(r), actor, reason);
}

/** Automatic state back to closed with an empty window. An active override stays. */
export function reset(r: BreakerRecord, now: number, actor: string, reason: string, out: Out): void {
  applyDue(r, now, out);
  const from = r.auto;
  closeAutomatic(r);
  transition(r, out, now, 'reset', from, 'closed', actor, reason);
}

/** Replaces the stored rules; a new bucket layout starts an empty window. */
export function replaceConfig(
  r: BreakerRecord,
  now: number,
  config: BreakerConfig,
  actor: string,
  reason: string,
  out: Out,
): void {
  applyDue(r, now, out);
  const relayout = config.windowMs !== r.config.windowMs || config.bucketMs !== r.config.bucketMs;
  r.config = config;
  r.configHash = configHash(config);
  if (relayout) r.window = createWindow(config.windowMs / config.bucketMs);
  const state = effectiveState(r);
  transition(r, out, now, 'config_update', state, state, actor, reason);
}
