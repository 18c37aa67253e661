import { integerInRange, matching, nonBlankString } from '../validate.js';

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

export function checkName(name: unknown): string {
  return matching('name', name, BREAKER_NAME_PATTERN, '1–64 characters of [A-Za-z0-9_.-], starting alphanumeric');
}

export function checkPodId(podId: unknown): string {
  return matching('podId', podId, POD_ID_PATTERN, '1–128 printable ASCII characters without spaces');
}

export function checkDelta(argument: 'failures' | 'successes', value: unknown): number {
  return integerInRange(argument, value, 0, MAX_DELTA);
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
