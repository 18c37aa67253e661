import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from '../errors/invalid-argument-error.js';
import { fullRefillMs, MICRO_TOKENS, resolveTokenBucketRules, takeTokens } from './token-bucket.js';

describe('token bucket rules', () => {
  it('defaults to 50 per second, a burst of 50 and slots booked up to 10 minutes ahead', () => {
    expect(resolveTokenBucketRules({})).toEqual({ ratePerSec: 50, burst: 50, maxWaitMs: 600_000 });
  });

  it.each([
    [{ ratePerSec: 0 }, 'options.ratePerSec'],
    [{ ratePerSec: -1 }, 'options.ratePerSec'],
    [{ ratePerSec: Number.NaN }, 'options.ratePerSec'],
    [{ ratePerSec: '5' }, 'options.ratePerSec'],
    [{ burst: 0 }, 'options.burst'],
    [{ burst: 1.5 }, 'options.burst'],
    [{ maxWaitMs: -1 }, 'options.maxWaitMs'],
    [{ maxWaitMs: 3_600_001 }, 'options.maxWaitMs'],
  ])('rejects %o naming %s', (input, argument) => {
    let caught: unknown;
    try {
      resolveTokenBucketRules(input as never);
    } catch (err) {
      caught = err;
    }
    expect(isInvalidArgumentError(caught)).toBe(true);
    expect((caught as { argument: string }).argument).toBe(argument);
  });

  it('computes the time of a full refill from the lowest point', () => {
    expect(fullRefillMs({ ratePerSec: 50, burst: 50 })).toBe(1_000);
    expect(fullRefillMs({ ratePerSec: 0.5, burst: 3 })).toBe(6_000);
    expect(fullRefillMs({ ratePerSec: 50, burst: 50, maxWaitMs: 60_000 })).toBe(61_000);
  });
});

describe('takeTokens as a plain bucket (maxWaitMs 0)', () => {
  const rules = { ratePerSec: 10, burst: 3, maxWaitMs: 0 };

  it('starts full, empties, then refuses with the time until the next token', () => {
    let state: ReturnType<typeof takeTokens>['next'];
    const decisions = [];
    for (let i = 0; i < 4; i++) {
      const r = takeTokens(state, 1_000, rules, 1);
      state = r.next;
      decisions.push(r.decision);
    }
    expect(decisions).toEqual([
      { admitted: true, tokens: 2, delayMs: 0 },
      { admitted: true, tokens: 1, delayMs: 0 },
      { admitted: true, tokens: 0, delayMs: 0 },
      { admitted: false, retryAfterMs: 100 },
    ]);
  });

  it('refills at the rate and never beyond the burst', () => {
    const empty = { tokens: 0, at: 0 };
    expect(takeTokens(empty, 50, rules, 1).decision).toEqual({ admitted: false, retryAfterMs: 50 });
    expect(takeTokens(empty, 100, rules, 1).decision).toEqual({ admitted: true, tokens: 0, delayMs: 0 });
    expect(takeTokens(empty, 60_000, rules, 1).decision).toEqual({ admitted: true, tokens: 2, delayMs: 0 });
  });

  it('writes nothing when it refuses', () => {
    const state = { tokens: 0, at: 0 };
    const r = takeTokens(state, 10, rules, 1);
    expect(r.decision.admitted).toBe(false);
    expect(r.next).toBe(state);
    expect(state).toEqual({ tokens: 0, at: 0 });
  });

  it('refills nothing when time goes backwards', () => {
    const state = { tokens: MICRO_TOKENS / 2, at: 5_000 };
    expect(takeTokens(state, 1_000, rules, 1).decision).toEqual({ admitted: false, retryAfterMs: 50 });
  });

  it('takes a cost of several tokens at once', () => {
    expect(takeTokens(undefined, 0, rules, 3).decision).toEqual({ admitted: true, tokens: 0, delayMs: 0 });
  });
});

describe('takeTokens with booked slots', () => {
  const rules = { ratePerSec: 10, burst: 2, maxWaitMs: 300 };

  it('gives each caller beyond the burst the next free slot, one emission apart, up to maxWaitMs', () => {
    let state: ReturnType<typeof takeTokens>['next'];
    const decisions = [];
    for (let i = 0; i < 7; i++) {
      const r = takeTokens(state, 1_000, rules, 1);
      state = r.next;
      decisions.push(r.decision);
    }
    expect(decisions).toEqual([
      { admitted: true, tokens: 1, delayMs: 0 },
      { admitted: true, tokens: 0, delayMs: 0 },
      { admitted: true, tokens: 0, delayMs: 100 },
      { admitted: true, tokens: 0, delayMs: 200 },
      { admitted: true, tokens: 0, delayMs: 300 },
      { admitted: false, retryAfterMs: 100 },
      { admitted: false, retryAfterMs: 100 },
    ]);
  });

  it('pays the booked slots back as time passes', () => {
    let state: ReturnType<typeof takeTokens>['next'];
    for (let i = 0; i < 5; i++) state = takeTokens(state, 0, rules, 1).next; // 2 now + 3 booked
    expect(takeTokens(state, 250, rules, 1).decision).toEqual({ admitted: true, tokens: 0, delayMs: 150 });
    expect(takeTokens(state, 10_000, rules, 1).decision).toEqual({ admitted: true, tokens: 1, delayMs: 0 });
  });
});
