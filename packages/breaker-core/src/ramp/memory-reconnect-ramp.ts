import { type Clock, systemClock } from '../clock.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { knownKeys, plainObject } from '../validate.js';
import type { RampDecision, ReconnectRamp, ReconnectRampOptions } from './reconnect-ramp.js';
import {
  checkCost,
  resolveTokenBucketRules,
  type TokenBucketRules,
  type TokenBucketState,
  takeTokens,
} from './token-bucket.js';

export interface MemoryReconnectRampOptions extends ReconnectRampOptions {
  /** Time source, ms since epoch. @default Date.now */
  clock?: Clock;
}

/**
 * The reconnect ramp in one process: the same token bucket as
 * {@link RedisReconnectRamp}, on an injected clock. For single-process use,
 * tests, and as a per-pod ramp where no Redis is available.
 */
export class MemoryReconnectRamp implements ReconnectRamp {
  readonly #clock: Clock;
  readonly #rules: TokenBucketRules;
  #state: TokenBucketState | undefined;

  constructor(options: MemoryReconnectRampOptions = {}) {
    const o = plainObject('options', options);
    knownKeys('options', o, ['ratePerSec', 'burst', 'maxWaitMs', 'clock']);
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidArgumentError('options.clock', `expected a function returning ms, got ${typeof options.clock}`);
    }
    this.#clock = options.clock ?? systemClock;
    this.#rules = resolveTokenBucketRules(options);
  }

  /** The rules in force (defaults filled). */
  get rules(): TokenBucketRules {
    return this.#rules;
  }

  async take(cost = 1): Promise<RampDecision> {
    const n = checkCost(cost, this.#rules);
    const { decision, next } = takeTokens(this.#state, this.#clock(), this.#rules, n);
    this.#state = next;
    return decision;
  }
}
