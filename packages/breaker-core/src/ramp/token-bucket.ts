import { integerInRange, numberInRange } from '../validate.js';
import type { RampDecision, ReconnectRampOptions } from './reconnect-ramp.js';
import { DEFAULT_RECONNECT_RAMP_OPTIONS } from './reconnect-ramp.js';

/** Micro-tokens per token: integer arithmetic, identical in Lua (lua/ramp-take-1.lua). */
export const MICRO_TOKENS = 1_000_000;

/** A token bucket's stored state: micro-tokens and the time of the last refill (ms). */
export interface TokenBucketState {
  tokens: number;
  at: number;
}

export interface TokenBucketRules {
  readonly ratePerSec: number;
  readonly burst: number;
  readonly maxWaitMs: number;
}

/** Fills defaults and validates; errors name the option (`options.ratePerSec`, …). */
export function resolveTokenBucketRules(options: ReconnectRampOptions, argument = 'options'): TokenBucketRules {
  return {
    ratePerSec: numberInRange(
      `${argument}.ratePerSec`,
      options.ratePerSec ?? DEFAULT_RECONNECT_RAMP_OPTIONS.ratePerSec,
      0,
      1_000_000,
      { minExclusive: true },
    ),
    burst: integerInRange(`${argument}.burst`, options.burst ?? DEFAULT_RECONNECT_RAMP_OPTIONS.burst, 1, 1_000_000),
    maxWaitMs: integerInRange(
      `${argument}.maxWaitMs`,
      options.maxWaitMs ?? DEFAULT_RECONNECT_RAMP_OPTIONS.maxWaitMs,
      0,
      3_600_000,
    ),
  };
}

/** Validates a `take(cost)` argument. */
export function checkCost(cost: unknown, rules: TokenBucketRules): number {
  return integerInRange('cost', cost, 1, rules.burst);
}

/**
 * Refill then take, the same steps as the Lua script. A caller beyond the tokens
 * at hand books the next slot if it is at most `maxWaitMs` away: the bucket goes
 * negative (tokens owed to the future) and the caller waits `delayMs`. A refusal
 * writes nothing. `state` undefined = a full, new bucket.
 */
export function takeTokens(
  state: TokenBucketState | undefined,
  now: number,
  rules: TokenBucketRules,
  cost: number,
): { decision: RampDecision; next: TokenBucketState | undefined } {
  const capacity = rules.burst * MICRO_TOKENS;
  let tokens = capacity;
  let at = now;
  if (state) {
    tokens = Math.min(capacity, state.tokens);
    at = state.at;
    const elapsed = Math.max(0, now - at);
    tokens = Math.min(capacity, tokens + Math.floor(elapsed * rules.ratePerSec * 1000));
  }
  const need = cost * MICRO_TOKENS;
  const delayMs = tokens >= need ? 0 : Math.ceil((need - tokens) / (rules.ratePerSec * 1000));
  if (delayMs <= rules.maxWaitMs) {
    tokens -= need;
    return {
      decision: { admitted: true, tokens: Math.max(0, Math.floor(tokens / MICRO_TOKENS)), delayMs },
      next: { tokens, at: Math.max(now, at) },
    };
  }
  return { decision: { admitted: false, retryAfterMs: delayMs - rules.maxWaitMs }, next: state };
}

/** Time a bucket takes to refill from its lowest (every slot within maxWaitMs booked) to full, ms. */
export function fullRefillMs(rules: Pick<TokenBucketRules, 'ratePerSec' | 'burst'> & { maxWaitMs?: number }): number {
  return Math.ceil((rules.burst * 1000) / rules.ratePerSec) + (rules.maxWaitMs ?? 0);
}
