import type { Registry } from 'prom-client';
import { type Clock, systemClock } from '../clock.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { BREAKER_NAME_PATTERN } from '../store/store-input.js';
import { knownKeys, matching, plainObject } from '../validate.js';
import { checkReport } from './pending-feedback.js';
import { NO_FEEDBACK, type RampFeedbackCounts, type RampState, rampExchange } from './ramp-exchange.js';
import { RampMetrics } from './ramp-metrics.js';
import { checkCost, RAMP_RULE_KEYS, type ReconnectRampRules, resolveRampRules } from './ramp-rules.js';
import type {
  RampAdmission,
  RampDecision,
  RampFeedback,
  RampStatus,
  ReconnectRamp,
  ReconnectRampOptions,
} from './reconnect-ramp.js';

export interface MemoryReconnectRampOptions extends ReconnectRampOptions {
  /** Names the ramp in metrics (`ramp` label). Same pattern as a breaker name. @default 'ramp' */
  name?: string;
  /** prom-client Registry for the ramp metrics. @default none */
  registry?: Registry;
  /** Time source, ms since epoch. @default Date.now */
  clock?: Clock;
}

/**
 * The reconnect ramp in one process: the same rules as {@link RedisReconnectRamp}
 * (`ramp-exchange.ts`), on an injected clock. Each take and each report is one
 * exchange, applied at once. For single-process use, tests, and as a per-pod ramp
 * where no Redis is available.
 */
export class MemoryReconnectRamp implements ReconnectRamp {
  readonly #clock: Clock;
  readonly #rules: ReconnectRampRules;
  readonly #name: string;
  readonly #metrics: RampMetrics | undefined;
  #state: RampState | undefined;

  constructor(options: MemoryReconnectRampOptions = {}) {
    const o = plainObject('options', options);
    knownKeys('options', o, [...RAMP_RULE_KEYS, 'name', 'registry', 'clock']);
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidArgumentError('options.clock', `expected a function returning ms, got ${typeof options.clock}`);
    }
    if (options.registry !== undefined && typeof options.registry?.getSingleMetric !== 'function') {
      throw new InvalidArgumentError('options.registry', 'expected a prom-client Registry');
    }
    this.#name = matching(
      'options.name',
      options.name ?? 'ramp',
      BREAKER_NAME_PATTERN,
      '1–64 characters of [A-Za-z0-9_.-], starting alphanumeric',
    );
    this.#rules = resolveRampRules(options);
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.registry ? RampMetrics.for(options.registry) : undefined;
  }

  /** The rules in force (defaults filled). */
  get rules(): ReconnectRampRules {
    return this.#rules;
  }

  /** The ramp now, as of its latest exchange (the starting rate before the first). */
  get status(): RampStatus {
    const s = this.#state;
    return {
      ratePerSec: s ? s.rate / 1000 : this.#rules.ratePerSec,
      thresholdPerSec: s ? s.threshold / 1000 : this.#rules.maxRatePerSec,
      epoch: s?.epoch ?? 0,
      pausedUntil: s?.pausedUntil ?? 0,
      cutEpoch: s?.cutEpoch ?? 0,
    };
  }

  async take(cost = 1): Promise<RampDecision> {
    const n = checkCost(cost, this.#rules);
    return this.#exchange(NO_FEEDBACK, [n])[0] as RampDecision;
  }

  report(admission: RampAdmission, feedback: RampFeedback): void {
    const report = checkReport(admission, feedback);
    if (!report) return;
    this.#metrics?.reported(this.#name, report.outcome);
    // Admitted before the latest cut (or in no epoch of this state) and no pause: the exchange
    // would drop it; nothing to do (as a pod drops it unsent).
    const s = this.#state;
    const stale = !s || report.epoch < s.cutEpoch || report.epoch > s.epoch;
    if (stale && report.retryAfterMs === 0) return;
    const success = report.outcome === 'success';
    this.#exchange(
      {
        epoch: report.epoch,
        successes: success ? 1 : 0,
        failures: report.outcome === 'failure' ? 1 : 0,
        overloads: report.outcome === 'overload' ? 1 : 0,
        freshEpoch: success ? report.epoch : 0,
        freshSuccesses: success ? 1 : 0,
        retryAfterMs: report.retryAfterMs,
      },
      [],
    );
  }

  #exchange(feedback: RampFeedbackCounts, costs: number[]): RampDecision[] {
    const now = this.#clock();
    const { reply, next } = rampExchange(this.#state, now, this.#rules, feedback, costs);
    this.#state = next;
    this.#metrics?.exchanged(this.#name, now, reply.decisions, reply.status, reply.events);
    return reply.decisions;
  }
}
