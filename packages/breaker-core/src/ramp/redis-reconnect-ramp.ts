import type { Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import { fromRedisError } from '../errors/from-redis-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';
import { checkKeyPrefix } from '../keys.js';
import type { RedisClient } from '../store/redis-store.js';
import { defineScript, type LoadedScript, loadScript } from '../store/script-loader.js';
import { BREAKER_NAME_PATTERN } from '../store/store-input.js';
import { integerInRange, knownKeys, matching, plainObject } from '../validate.js';
import { ExchangeBatcher, type ExchangeResult } from './exchange-batcher.js';
import { checkReport } from './pending-feedback.js';
import type { RampFeedbackCounts } from './ramp-exchange.js';
import { RampMetrics } from './ramp-metrics.js';
import {
  checkCost,
  milliRate,
  RAMP_RULE_KEYS,
  type ReconnectRampRules,
  rampKeyTtlMs,
  resolveRampRules,
} from './ramp-rules.js';
import type {
  DEFAULT_RECONNECT_RAMP_OPTIONS,
  RampAdmission,
  RampDecision,
  RampFeedback,
  RampStatus,
  ReconnectRamp,
  ReconnectRampOptions,
} from './reconnect-ramp.js';

export interface RedisReconnectRampOptions extends ReconnectRampOptions {
  /** ioredis `Redis` or `Cluster`. The caller owns it; give it a short command timeout. */
  client: RedisClient;
  /**
   * The ramp's name, usually the breaker's (`pusher`): the key is
   * `<prefix>:{<name>}:ramp`, in the breaker's hash slot. Also the metrics' `ramp` label.
   */
  name: string;
  /** Key prefix. @default 'bw' (the breaker store's default) */
  prefix?: string;
  /**
   * This pod sends its sessions' takes and reports as one script call per interval, ms:
   * the ramp's Redis load is pods ÷ interval, whatever the number of sessions. A take
   * waits at most this long (plus the call) for its answer. 0 = one call per event-loop
   * turn that asks. Integer 0 – 10,000. @default 100
   */
  intervalMs?: number;
  /** prom-client Registry for the ramp metrics (`breakwater_ramp_*`). @default none */
  registry?: Registry;
  /**
   * Pass time to the script instead of using Redis `TIME`. Only for tests that
   * drive time by hand; in production Redis time is the fleet's one clock.
   * @default undefined (Redis TIME)
   */
  clock?: Clock;
}

/** Defaults of the options only the Redis ramp has; the rules' are {@link DEFAULT_RECONNECT_RAMP_OPTIONS}. */
export const DEFAULT_REDIS_RECONNECT_RAMP_OPTIONS = Object.freeze({ prefix: 'bw', intervalMs: 100 });

/**
 * The cluster-wide reconnect ramp: one state in Redis (bucket, rate, threshold, epochs,
 * pause), changed atomically by one Lua script (lua/ramp-exchange-1.lua) on Redis `TIME`,
 * so every pod's sessions are admitted at one fleet-wide rate that follows what the
 * downstream answers. Each pod (one instance per pod, shared by its sessions) sends its
 * sessions' takes and their feedback as one script call per `intervalMs`. Its one key
 * carries the breaker's `{hash tag}`, so it runs on Redis Cluster too, and has a TTL.
 */
export class RedisReconnectRamp implements ReconnectRamp {
  readonly #client: RedisClient;
  readonly #name: string;
  readonly #key: string;
  readonly #rules: ReconnectRampRules;
  readonly #ruleArgs: (string | number)[];
  readonly #keyTtlMs: number;
  readonly #clock: Clock | undefined;
  readonly #script: LoadedScript;
  readonly #batcher: ExchangeBatcher;
  readonly #metrics: RampMetrics | undefined;
  #status: RampStatus;

  constructor(options: RedisReconnectRampOptions) {
    const o = plainObject('options', options);
    knownKeys('options', o, ['client', 'name', 'prefix', 'intervalMs', 'registry', 'clock', ...RAMP_RULE_KEYS]);
    const client = options.client as unknown;
    if (
      typeof client !== 'object' ||
      client === null ||
      typeof (client as { defineCommand?: unknown }).defineCommand !== 'function'
    ) {
      throw new InvalidArgumentError('options.client', 'expected an ioredis Redis or Cluster instance');
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidArgumentError('options.clock', 'expected a function returning ms since epoch');
    }
    if (options.registry !== undefined && typeof options.registry?.getSingleMetric !== 'function') {
      throw new InvalidArgumentError('options.registry', 'expected a prom-client Registry');
    }
    this.#name = matching(
      'options.name',
      options.name,
      BREAKER_NAME_PATTERN,
      '1–64 characters of [A-Za-z0-9_.-], starting alphanumeric (usually the breaker name)',
    );
    const key = rampKey(checkKeyPrefix(options.prefix ?? DEFAULT_REDIS_RECONNECT_RAMP_OPTIONS.prefix), this.#name);
    const rules = resolveRampRules(options);
    const intervalMs = integerInRange(
      'options.intervalMs',
      options.intervalMs ?? DEFAULT_REDIS_RECONNECT_RAMP_OPTIONS.intervalMs,
      0,
      10_000,
    );
    // Everything is checked: from here on nothing throws.
    this.#client = options.client;
    this.#key = key;
    this.#rules = rules;
    this.#ruleArgs = ruleArgs(rules);
    this.#keyTtlMs = rampKeyTtlMs(rules);
    this.#clock = options.clock;
    this.#metrics = options.registry ? RampMetrics.for(options.registry) : undefined;
    this.#status = {
      ratePerSec: rules.ratePerSec,
      thresholdPerSec: rules.maxRatePerSec,
      epoch: 0,
      pausedUntil: 0,
      cutEpoch: 0,
    };
    this.#script = loadScript('rampExchange', 'ramp-exchange-1');
    defineScript(this.#client, this.#script);
    this.#batcher = new ExchangeBatcher(intervalMs, (feedback, costs) => this.#call(feedback, costs));
  }

  /** The ramp's key (tests and operators look at it). */
  get key(): string {
    return this.#key;
  }

  /** The rules in force (defaults filled). */
  get rules(): ReconnectRampRules {
    return this.#rules;
  }

  /** The shared ramp as of this pod's latest exchange (the starting rate before the first). */
  get status(): RampStatus {
    return this.#status;
  }

  /** Joins this pod's next exchange (at most one per `intervalMs`) and resolves with its decision. */
  async take(cost = 1): Promise<RampDecision> {
    return this.#batcher.take(checkCost(cost, this.#rules));
  }

  /** Counts the report for this pod's next exchange; no I/O here. */
  report(admission: RampAdmission, feedback: RampFeedback): void {
    const report = checkReport(admission, feedback);
    if (!report) return;
    this.#metrics?.reported(this.#name, report.outcome);
    this.#batcher.report(report);
  }

  /**
   * Sends what this pod has pending (takes, feedback) now, without waiting for the
   * interval; settles when it has been applied. For a pod shutting down, and tests.
   */
  flush(): Promise<void> {
    return this.#batcher.flush();
  }

  async #call(feedback: RampFeedbackCounts, costs: number[]): Promise<ExchangeResult> {
    const command = (this.#client as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>)[
      this.#script.command
    ];
    if (!command) throw new InvalidArgumentError('ramp', `script ${this.#script.command} is not defined on the client`);
    let reply: unknown;
    try {
      reply = await command.call(
        this.#client,
        this.#key,
        this.#clock ? Math.floor(this.#clock()) : '',
        ...this.#ruleArgs,
        this.#keyTtlMs,
        feedback.epoch,
        feedback.successes,
        feedback.failures,
        feedback.overloads,
        feedback.freshEpoch,
        feedback.freshSuccesses,
        feedback.retryAfterMs,
        ...costs,
      );
    } catch (err) {
      throw fromRedisError(err, this.#name, 'ramp.exchange');
    }
    const result = parseExchangeReply(reply, costs.length);
    this.#status = result.status;
    this.#metrics?.exchanged(this.#name, result.now, result.decisions, result.status, result.events);
    return result;
  }
}

/** `<prefix>:{<name>}:ramp`: the breaker's hash tag, so it shares the breaker's slot. */
export function rampKey(prefix: string, name: string): string {
  return `${prefix}:{${name}}:ramp`;
}

/** ARGV[2..14] of the script: the rules, rates in thousandths per second. */
function ruleArgs(r: ReconnectRampRules): (string | number)[] {
  return [
    milliRate(r.ratePerSec),
    milliRate(r.minRatePerSec),
    milliRate(r.maxRatePerSec),
    r.burst,
    r.maxWaitMs,
    r.minRetryAfterMs,
    String(r.increaseFactor),
    milliRate(r.increaseStepPerSec),
    String(r.decreaseFactor),
    String(r.failureRatio),
    r.adjustIntervalMs,
    r.maxPauseMs,
    r.idleResetMs,
  ];
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function parseExchangeReply(reply: unknown, takes: number): ExchangeResult {
  const bad = (why: string, cause?: unknown) =>
    new StoreUnavailableError(`ramp script reply ${why}: ${String(reply).slice(0, 200)}`, { cause });
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(String(reply)) as Record<string, unknown>;
  } catch (err) {
    throw bad('is not JSON', err);
  }
  const { now, rate, threshold, epoch, pausedUntil, cutEpoch } = raw;
  const events = raw.events as Record<string, unknown> | undefined;
  // cjson encodes an empty list as {}.
  const list = Array.isArray(raw.decisions) ? raw.decisions : takes === 0 ? [] : undefined;
  if (
    ![now, rate, threshold, epoch, pausedUntil, cutEpoch].every(isInt) ||
    typeof events !== 'object' ||
    events === null ||
    !list
  ) {
    throw bad('has an unexpected shape');
  }
  if (list.length !== takes) throw bad(`has ${list.length} decisions for ${takes} takes`);
  const decisions = list.map((d: Record<string, unknown>): RampDecision => {
    if (d.a === 1 && isInt(d.t) && isInt(d.d)) {
      return { admitted: true, tokens: d.t, delayMs: d.d, epoch: epoch as number };
    }
    if (d.a === 0 && isInt(d.r)) return { admitted: false, retryAfterMs: d.r };
    throw bad('has a malformed decision');
  });
  return {
    now: now as number,
    decisions,
    status: {
      ratePerSec: (rate as number) / 1000,
      thresholdPerSec: (threshold as number) / 1000,
      epoch: epoch as number,
      pausedUntil: pausedUntil as number,
      cutEpoch: cutEpoch as number,
    },
    events: {
      restarted: events.restarted === 1,
      decreased: events.decreased === 1,
      increased: events.increased === 1,
      paused: events.paused === 1,
      stale: events.stale === 1,
    },
  };
}
