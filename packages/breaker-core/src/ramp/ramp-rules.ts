import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { integerInRange, numberInRange } from '../validate.js';
import { DEFAULT_RECONNECT_RAMP_OPTIONS as D, type ReconnectRampOptions } from './reconnect-ramp.js';

/** Every rule of a ramp, defaults filled and checked: what both implementations and the script apply. */
export interface ReconnectRampRules {
  readonly ratePerSec: number;
  readonly minRatePerSec: number;
  readonly maxRatePerSec: number;
  readonly burst: number;
  readonly maxWaitMs: number;
  readonly minRetryAfterMs: number;
  readonly increaseFactor: number;
  readonly increaseStepPerSec: number;
  readonly decreaseFactor: number;
  readonly failureRatio: number;
  readonly adjustIntervalMs: number;
  readonly maxPauseMs: number;
  readonly idleResetMs: number;
}

/** The rule options, in the order the script takes them. */
export const RAMP_RULE_KEYS = Object.freeze(Object.keys(D)) as readonly (keyof ReconnectRampRules)[];

const MAX_RATE = 1_000_000;
const HOUR_MS = 3_600_000;

/** Rates are kept to thousandths of an admission per second: integers in the shared state. */
const thousandths = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Fills defaults and validates, in dependency order (the rate first: its bounds and step
 * follow it). Errors name the option (`options.minRatePerSec: …`) and change nothing.
 */
export function resolveRampRules(options: ReconnectRampOptions, argument = 'options'): ReconnectRampRules {
  const name = (key: string) => `${argument}.${key}`;
  const rate = (key: keyof ReconnectRampOptions, value: unknown, min: number, max: number) => {
    const checked = thousandths(numberInRange(name(key), value, min, max));
    if (checked < min || checked > max) {
      throw new InvalidArgumentError(name(key), `expected a number in [${min}, ${max}] to 3 decimals, got ${value}`);
    }
    return checked;
  };
  const ratePerSec = rate('ratePerSec', options.ratePerSec ?? D.ratePerSec, 0.001, MAX_RATE);
  const minRatePerSec = rate(
    'minRatePerSec',
    options.minRatePerSec ?? Math.max(0.001, thousandths(ratePerSec / 10)),
    0.001,
    ratePerSec,
  );
  const maxRatePerSec = rate(
    'maxRatePerSec',
    options.maxRatePerSec ?? Math.min(MAX_RATE, ratePerSec * 10),
    ratePerSec,
    MAX_RATE,
  );
  return {
    ratePerSec,
    minRatePerSec,
    maxRatePerSec,
    burst: integerInRange(name('burst'), options.burst ?? D.burst, 1, 1_000_000),
    maxWaitMs: integerInRange(name('maxWaitMs'), options.maxWaitMs ?? D.maxWaitMs, 0, HOUR_MS),
    minRetryAfterMs: integerInRange(name('minRetryAfterMs'), options.minRetryAfterMs ?? D.minRetryAfterMs, 0, HOUR_MS),
    increaseFactor: numberInRange(name('increaseFactor'), options.increaseFactor ?? D.increaseFactor, 1, 10),
    increaseStepPerSec: rate(
      'increaseStepPerSec',
      options.increaseStepPerSec ?? thousandths(ratePerSec / 10),
      0,
      MAX_RATE,
    ),
    decreaseFactor: numberInRange(name('decreaseFactor'), options.decreaseFactor ?? D.decreaseFactor, 0, 1, {
      minExclusive: true,
    }),
    failureRatio: numberInRange(name('failureRatio'), options.failureRatio ?? D.failureRatio, 0, 1),
    adjustIntervalMs: integerInRange(
      name('adjustIntervalMs'),
      options.adjustIntervalMs ?? D.adjustIntervalMs,
      10,
      600_000,
    ),
    maxPauseMs: integerInRange(name('maxPauseMs'), options.maxPauseMs ?? D.maxPauseMs, 0, HOUR_MS),
    idleResetMs: integerInRange(name('idleResetMs'), options.idleResetMs ?? D.idleResetMs, 1, 24 * HOUR_MS),
  };
}

/** Validates a `take(cost)` argument. */
export function checkCost(cost: unknown, rules: ReconnectRampRules): number {
  return integerInRange('cost', cost, 1, rules.burst);
}

/** A rate in the shared state's unit: thousandths of an admission per second (= micro-tokens per ms). */
export function milliRate(perSec: number): number {
  return Math.round(perSec * 1000);
}

/** Longest key TTL the script accepts, ms (~3 years). */
export const MAX_RAMP_KEY_TTL_MS = 100_000_000_000;

/**
 * How long the ramp's key must outlive its last write, ms: past a pause, the slots booked
 * before it and a full refill at the lowest rate (so an expired state grants nothing a
 * full bucket would not), and past `idleResetMs` (so expiry never forgets sooner than the
 * restart rule would); at least a minute.
 */
export function rampKeyTtlMs(rules: ReconnectRampRules): number {
  const refill = Math.ceil((rules.burst * 1_000_000) / milliRate(rules.minRatePerSec));
  const longest = Math.max(60_000, rules.idleResetMs, rules.maxPauseMs + rules.maxWaitMs + refill);
  return Math.min(MAX_RAMP_KEY_TTL_MS, longest + 1_000);
}
