import { milliRate, type ReconnectRampRules } from './ramp-rules.js';
import type { RampDecision, RampStatus } from './reconnect-ramp.js';

/** Micro-tokens per token: integer arithmetic, identical in Lua (lua/ramp-exchange-1.lua). */
export const MICRO_TOKENS = 1_000_000;

/**
 * A ramp's stored state. Every field is an integer, so the script stores exactly what this
 * computes. Rates are in thousandths of an admission per second, which is also micro-tokens
 * per millisecond: a refill is `elapsed ms × rate`.
 */
export interface RampState {
  /** Micro-tokens; negative = slots booked ahead (tokens owed to the future). */
  tokens: number;
  /** Refill is computed up to here, ms; in the future while paused (nothing accrues). */
  at: number;
  /** Current rate, thousandths per second. */
  rate: number;
  /** Slow-start threshold, thousandths per second: multiplicative growth below it, additive from it. */
  threshold: number;
  /**
   * The time of the latest rate change or pause (or of the state's creation), ms, made
   * strictly increasing; every admission carries it. Only successes of dials admitted in
   * this epoch are evidence for growth.
   */
  epoch: number;
  /**
   * The epoch begun by the latest cut, pause or restart (or the state's creation): the
   * start of the current congestion episode. Feedback on dials admitted before it is
   * stale; an increase does not move it, so a dial admitted before an increase that
   * fails after it still counts (TCP: one cut per episode, and no loss goes unheard).
   */
  cutEpoch: number;
  /** Start of the current adjustment interval, ms. */
  intervalStart: number;
  /** Outcomes counted in this interval of dials admitted since `cutEpoch`. */
  successes: number;
  failures: number;
  /** Of `successes`, those of dials admitted in the current `epoch`: growth needs one. */
  freshSuccesses: number;
  /** Latest time a caller had to wait for a slot or was refused, ms. */
  limitedAt: number;
  /** No admission before this, ms; 0 = never paused. */
  pausedUntil: number;
}

/**
 * One pod's feedback since its previous exchange: the outcomes of dials admitted since the
 * latest cut it knows, and of those the successes at the newest epoch it knows.
 */
export interface RampFeedbackCounts {
  /**
   * The oldest epoch among the counts' admissions; 0 with no counts. The ramp counts them
   * if it is not older than the ramp's `cutEpoch` (no cut since), else drops them all.
   */
  readonly epoch: number;
  readonly successes: number;
  readonly failures: number;
  readonly overloads: number;
  /** The newest epoch among the successes' admissions; 0 with none. */
  readonly freshEpoch: number;
  /** Of `successes`, those admitted at `freshEpoch`: evidence for growth if it is the ramp's epoch. */
  readonly freshSuccesses: number;
  /** The longest `Retry-After` reported, ms, of any epoch (a pause is never stale); 0 = none. */
  readonly retryAfterMs: number;
}

export const NO_FEEDBACK: RampFeedbackCounts = Object.freeze({
  epoch: 0,
  successes: 0,
  failures: 0,
  overloads: 0,
  freshEpoch: 0,
  freshSuccesses: 0,
  retryAfterMs: 0,
});

/** What changed in one exchange: for metrics and logs. */
export interface RampEvents {
  /** Uncontended for `idleResetMs`: back to the starting rate and threshold. */
  readonly restarted: boolean;
  readonly decreased: boolean;
  readonly increased: boolean;
  /** A `Retry-After` began or extended a pause. */
  readonly paused: boolean;
  /** The feedback's counts were about dials admitted before the latest cut, pause or restart (or in no epoch of this state) and were dropped. */
  readonly stale: boolean;
}

export interface RampExchangeReply {
  /** One per cost, in order. */
  readonly decisions: RampDecision[];
  readonly status: RampStatus;
  readonly events: RampEvents;
}

/**
 * A full bucket at the starting rate, no threshold yet. It counts as contended just before
 * `now`: it restarts only `idleResetMs` later, and grows only if a caller waits after it.
 */
export function freshRampState(now: number, rules: ReconnectRampRules): RampState {
  return {
    tokens: rules.burst * MICRO_TOKENS,
    at: now,
    rate: milliRate(rules.ratePerSec),
    threshold: milliRate(rules.maxRatePerSec),
    epoch: now,
    cutEpoch: now,
    intervalStart: now,
    successes: 0,
    failures: 0,
    freshSuccesses: 0,
    limitedAt: now - 1,
    pausedUntil: 0,
  };
}

/**
 * One exchange with the ramp at time `now`: a pod's feedback, then its takes (`costs`), the
 * same steps in the same order as the Lua script. `state` undefined = none stored (new or
 * expired). Returns the decisions and the next state (`state` itself is not modified).
 *
 * 1. Refill up to now at the current rate (nothing while paused).
 * 2. Restart: uncontended for `idleResetMs` → starting rate, threshold `maxRatePerSec`.
 * 3. Pause: a `Retry-After` (any epoch) pauses admissions until now + min(it, maxPauseMs);
 *    tokens at hand are dropped (no burst when it ends); booked slots stay owed.
 * 4. Feedback on dials admitted since the latest cut (epoch ≥ cutEpoch) is counted; on
 *    dials admitted before it (or in no epoch of this state), dropped (stale). Successes
 *    admitted in the current epoch are also counted as fresh: growth needs one.
 * 5. Adjust. An overload cuts at once; at the end of an interval with feedback, failures ≥
 *    failureRatio × outcomes (and ≥ 1) cut; otherwise the interval ends once a dial admitted
 *    at the current rate has succeeded, and if callers had to wait in it and no pause began,
 *    the rate grows: × increaseFactor up to the threshold, then + increaseStepPerSec (from
 *    the first interval when increaseFactor is 1), up to maxRatePerSec. A cut: rate × decreaseFactor (not below minRatePerSec), and the
 *    threshold becomes the new rate. Any change of the rate, and a pause, starts a new epoch (strictly
 *    increasing) and interval; a change rescales the booked debt so booked slots keep their
 *    times and new slots follow the last one at the new rate. A cut, a pause and a restart
 *    also start a new congestion episode (cutEpoch ← epoch): what was admitted before is
 *    stale. An increase does not: a dial admitted before it that fails after it is heard.
 * 6. Takes, each like a sequential call: the next slot is max(now, the pause's end) plus
 *    the time to refill what is missing; within `maxWaitMs` it is admitted (booked if later
 *    than now), else refused with max(delay − maxWaitMs, minRetryAfterMs). A caller that
 *    waits or is refused marks the ramp contended (what growth needs and restart counts from).
 */
export function rampExchange(
  state: RampState | undefined,
  now: number,
  rules: ReconnectRampRules,
  feedback: RampFeedbackCounts,
  costs: readonly number[],
): { reply: RampExchangeReply; next: RampState } {
  const capacity = rules.burst * MICRO_TOKENS;
  const s: RampState = state ? { ...state, tokens: Math.min(capacity, state.tokens) } : freshRampState(now, rules);
  let restarted = false;
  let decreased = false;
  let increased = false;
  let paused = false;
  let stale = false;

  // 1. Refill.
  if (now > s.at) {
    s.tokens = Math.min(capacity, s.tokens + (now - s.at) * s.rate);
    s.at = now;
  }

  // 2. Restart after a quiet spell.
  const startRate = milliRate(rules.ratePerSec);
  const maxRate = milliRate(rules.maxRatePerSec);
  if (now - s.limitedAt >= rules.idleResetMs && (s.rate !== startRate || s.threshold !== maxRate)) {
    changeRate(s, startRate, now);
    s.threshold = maxRate;
    s.cutEpoch = s.epoch; // what was admitted before the restart is stale
    restarted = true;
  }

  // 3. Pause.
  if (feedback.retryAfterMs > 0 && rules.maxPauseMs > 0) {
    const until = now + Math.min(feedback.retryAfterMs, rules.maxPauseMs);
    if (until > s.pausedUntil) {
      s.pausedUntil = until;
      s.tokens = Math.min(s.tokens, 0);
      s.at = Math.max(s.at, until);
      paused = true;
    }
  }

  // 4. Feedback: stale only if admitted before the latest cut, pause or restart.
  const reported = feedback.successes + feedback.failures + feedback.overloads;
  let overloaded = false;
  if (reported > 0) {
    if (feedback.epoch >= s.cutEpoch && feedback.epoch <= s.epoch) {
      s.successes += feedback.successes;
      s.failures += feedback.failures;
      if (feedback.freshEpoch === s.epoch) s.freshSuccesses += feedback.freshSuccesses;
      overloaded = feedback.overloads > 0;
    } else {
      stale = true;
    }
  }

  // 5. Adjust.
  const intervalOver = now - s.intervalStart >= rules.adjustIntervalMs && s.successes + s.failures > 0;
  const failing = intervalOver && s.failures > 0 && s.failures >= rules.failureRatio * (s.successes + s.failures);
  // Below the threshold the rate doubles (slow start); increaseFactor 1 = none: additive from the first interval.
  const slowStart = s.rate < s.threshold && rules.increaseFactor > 1;
  if (overloaded || failing) {
    const cut = Math.max(milliRate(rules.minRatePerSec), Math.floor(s.rate * rules.decreaseFactor));
    if (cut < s.rate) {
      changeRate(s, cut, now);
      decreased = true;
    } else {
      startInterval(s, now);
    }
    s.threshold = cut;
  } else if (intervalOver && (s.freshSuccesses > 0 || !slowStart)) {
    // Slow start doubles only on a success at the current rate: until one comes in, outcomes of
    // dials admitted before the latest increase keep the interval open (they still weigh in its
    // failure share; closing it on them alone would make every doubling wait a further interval).
    // The additive step is small: a clean interval of successes since the latest cut is enough,
    // so it grows once per interval, not once per interval plus a dial's confirmation.
    if (!paused && s.limitedAt >= s.intervalStart && s.rate < maxRate) {
      const grown = slowStart
        ? Math.min(s.threshold, Math.floor(s.rate * rules.increaseFactor))
        : s.rate + milliRate(rules.increaseStepPerSec);
      const next = Math.min(maxRate, grown);
      if (next > s.rate) {
        changeRate(s, next, now);
        increased = true;
      }
    }
    startInterval(s, now);
  }
  // A pause is a congestion signal even when the rate did not move (already at the floor, or
  // a Retry-After on a stale dial): what was admitted before it is stale from now on.
  if (paused && !decreased) newEpoch(s, now);
  if (decreased || paused) s.cutEpoch = s.epoch;

  // 6. Takes. Slots start at the end of a pause; a clock that went backwards (a failover)
  // refills nothing but delays nothing either.
  const decisions: RampDecision[] = [];
  const start = Math.max(now, Math.min(s.at, s.pausedUntil));
  for (const cost of costs) {
    const need = cost * MICRO_TOKENS;
    const delay = start - now + (s.tokens >= need ? 0 : Math.ceil((need - s.tokens) / s.rate));
    if (delay <= rules.maxWaitMs) {
      s.tokens -= need;
      if (delay > 0) s.limitedAt = now;
      decisions.push({
        admitted: true,
        tokens: Math.max(0, Math.floor(s.tokens / MICRO_TOKENS)),
        delayMs: delay,
        epoch: s.epoch,
      });
    } else {
      s.limitedAt = now;
      decisions.push({ admitted: false, retryAfterMs: Math.max(delay - rules.maxWaitMs, rules.minRetryAfterMs) });
    }
  }

  return {
    reply: {
      decisions,
      status: {
        ratePerSec: s.rate / 1000,
        thresholdPerSec: s.threshold / 1000,
        epoch: s.epoch,
        pausedUntil: s.pausedUntil,
        cutEpoch: s.cutEpoch,
      },
      events: { restarted, decreased, increased, paused, stale },
    },
    next: s,
  };
}

/**
 * A new rate from `now`: a new epoch and interval. Booked debt is rescaled so the slots
 * already handed out keep their times and the next new one follows the last of them.
 */
function changeRate(s: RampState, rate: number, now: number): void {
  if (s.tokens < 0) s.tokens = 0 - Math.floor((-s.tokens * rate) / s.rate);
  s.rate = rate;
  newEpoch(s, now);
}

function newEpoch(s: RampState, now: number): void {
  // Strictly increasing, so two changes in the same millisecond are still two epochs.
  s.epoch = Math.max(now, s.epoch + 1);
  startInterval(s, now);
}

function startInterval(s: RampState, now: number): void {
  s.intervalStart = now;
  s.successes = 0;
  s.failures = 0;
  s.freshSuccesses = 0;
}
