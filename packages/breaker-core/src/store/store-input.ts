import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';
import { integerInRange, knownKeys, matching, nonBlankString, oneOf, plainObject } from '../validate.js';
import type { ActorRequest, ClearOverrideRequest, OverrideRequest } from './breaker-store.js';

/**
 * Bounds on what callers may pass to a store. Both stores check these before
 * touching any state, and the Lua scripts check them again, so a bad request
 * is refused with nothing written.
 */
export const BREAKER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const POD_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
/** Override TTL bounds, ms: 1 s to 24 h. */
export const MIN_OVERRIDE_TTL_MS = 1_000;
export const MAX_OVERRIDE_TTL_MS = 86_400_000;
export const MAX_REASON_LENGTH = 500;
export const MAX_ACTOR_LENGTH = 128;
/** Largest outcome delta one record() call may carry. */
export const MAX_DELTA = 1_000_000_000;
export const MAX_AUDIT_LIMIT = 1_000;
export const DEFAULT_AUDIT_LIMIT = 100;

export function checkName(name: unknown): string {
  return matching('name', name, BREAKER_NAME_PATTERN, '1–64 characters of [A-Za-z0-9_.-], starting alphanumeric');
}

export function checkPodId(podId: unknown): string {
  return matching('podId', podId, POD_ID_PATTERN, '1–128 printable ASCII characters without spaces');
}

export function checkDelta(argument: 'failures' | 'successes', value: unknown): number {
  return integerInRange(argument, value, 0, MAX_DELTA);
}

/** record()'s outcome counts; an unknown key (say `failure`) is refused, not ignored. */
export function checkOutcomes(outcomes: unknown): { failures: number; successes: number } {
  const o = plainObject('outcomes', outcomes);
  knownKeys('outcomes', o, ['failures', 'successes']);
  return { failures: checkDelta('failures', o.failures), successes: checkDelta('successes', o.successes) };
}

export function checkTtlMs(ttlMs: unknown): number {
  return integerInRange('ttlMs', ttlMs, MIN_OVERRIDE_TTL_MS, MAX_OVERRIDE_TTL_MS);
}

export function checkReason(reason: unknown): string {
  return nonBlankString('reason', reason, MAX_REASON_LENGTH);
}

export function checkActor(actor: unknown): string {
  return nonBlankString('actor', actor, MAX_ACTOR_LENGTH);
}

export function checkAuditLimit(limit: unknown): number {
  return integerInRange('limit', limit, 1, MAX_AUDIT_LIMIT);
}

/** audit()'s options; returns the limit (default 100). */
export function checkAuditOptions(options: unknown): number {
  const o = plainObject('options', options);
  knownKeys('options', o, ['limit']);
  return checkAuditLimit(o.limit ?? DEFAULT_AUDIT_LIMIT);
}

export function checkOverrideRequest(request: OverrideRequest): { reason: string; actor: string; ttlMs: number } {
  const r = plainObject('request', request);
  knownKeys('request', r, ['reason', 'actor', 'ttlMs']);
  return { reason: checkReason(r.reason), actor: checkActor(r.actor), ttlMs: checkTtlMs(r.ttlMs) };
}

/** `reason` may be omitted when clearing an override; required for reset and config updates. */
export function checkActorRequest(
  request: ActorRequest | ClearOverrideRequest,
  reasonRequired: boolean,
): { actor: string; reason: string } {
  const r = plainObject('request', request);
  knownKeys('request', r, ['actor', 'reason']);
  const actor = checkActor(r.actor);
  const reason = r.reason === undefined && !reasonRequired ? 'override cleared' : checkReason(r.reason);
  return { actor, reason };
}

/** A lease as returned by acquireProbe() and an outcome; returns the breaker name. */
export function checkProbeReport(lease: ProbeLease, outcome: ProbeOutcome): string {
  const l = plainObject('lease', lease);
  const name = checkName(l.breaker);
  if (typeof l.token !== 'string' || l.token.length === 0 || l.token.length > 64) {
    throw new InvalidArgumentError('lease.token', 'expected the token of a lease returned by acquireProbe()');
  }
  oneOf('outcome', outcome, ['success', 'failure'] as const);
  return name;
}
