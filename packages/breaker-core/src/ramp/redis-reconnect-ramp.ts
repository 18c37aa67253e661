import type { Clock } from '../clock.js';
import { fromRedisError } from '../errors/from-redis-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';
import { checkKeyPrefix } from '../keys.js';
import type { RedisClient } from '../store/redis-store.js';
import { defineScript, type LoadedScript, loadScript } from '../store/script-loader.js';
import { BREAKER_NAME_PATTERN } from '../store/store-input.js';
import { knownKeys, matching, plainObject } from '../validate.js';
import type { RampDecision, ReconnectRamp, ReconnectRampOptions } from './reconnect-ramp.js';
import { checkCost, fullRefillMs, resolveTokenBucketRules, type TokenBucketRules } from './token-bucket.js';

export interface RedisReconnectRampOptions extends ReconnectRampOptions {
  /** ioredis `Redis` or `Cluster`. The caller owns it; give it a short command timeout. */
  client: RedisClient;
  /**
   * The ramp's name, usually the breaker's (`pusher`): the key is
   * `<prefix>:{<name>}:ramp`, in the breaker's hash slot.
   */
  name: string;
  /** Key prefix. @default 'bw' (the breaker store's default) */
  prefix?: string;
  /**
   * Pass time to the script instead of using Redis `TIME`. Only for tests that
   * drive time by hand; in production Redis time is the fleet's one clock.
   * @default undefined (Redis TIME)
   */
  clock?: Clock;
}

/** Keys live at least a minute, and always longer than a full refill (see the Lua header). */
const MIN_KEY_TTL_MS = 60_000;

/**
 * The cluster-wide reconnect ramp: one token bucket in Redis, refilled and taken
 * atomically by one Lua script (lua/ramp-take-1.lua) on Redis `TIME`. Its one key
 * carries the breaker's `{hash tag}`, so it runs on Redis Cluster too, and has a TTL.
 */
export class RedisReconnectRamp implements ReconnectRamp {
  readonly #client: RedisClient;
  readonly #name: string;
  readonly #key: string;
  readonly #rules: TokenBucketRules;
  readonly #keyTtlMs: number;
  readonly #clock: Clock | undefined;
  readonly #script: LoadedScript;

  constructor(options: RedisReconnectRampOptions) {
    const o = plainObject('options', options);
    knownKeys('options', o, ['client', 'name', 'prefix', 'ratePerSec', 'burst', 'maxWaitMs', 'clock']);
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
    this.#client = options.client;
    this.#name = matching(
      'options.name',
      options.name,
      BREAKER_NAME_PATTERN,
      '1–64 characters of [A-Za-z0-9_.-], starting alphanumeric (usually the breaker name)',
    );
    this.#key = rampKey(checkKeyPrefix(options.prefix ?? 'bw'), this.#name);
    this.#rules = resolveTokenBucketRules(options);
    this.#keyTtlMs = Math.max(MIN_KEY_TTL_MS, fullRefillMs(this.#rules) + 1_000);
    this.#clock = options.clock;
    this.#script = loadScript('rampTake', 'ramp-take-1');
    defineScript(this.#client, this.#script);
  }

  /** The bucket's key (tests and operators look at it). */
  get key(): string {
    return this.#key;
  }

  /** The rules in force (defaults filled). */
  get rules(): TokenBucketRules {
    return this.#rules;
  }

  async take(cost = 1): Promise<RampDecision> {
    const n = checkCost(cost, this.#rules);
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
        this.#rules.ratePerSec,
        this.#rules.burst,
        n,
        this.#keyTtlMs,
        this.#rules.maxWaitMs,
      );
    } catch (err) {
      throw fromRedisError(err, this.#name, 'ramp.take');
    }
    return parseDecision(reply);
  }
}

/** `<prefix>:{<name>}:ramp`: the breaker's hash tag, so it shares the breaker's slot. */
export function rampKey(prefix: string, name: string): string {
  return `${prefix}:{${name}}:ramp`;
}

function parseDecision(reply: unknown): RampDecision {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(String(reply)) as Record<string, unknown>;
  } catch (err) {
    throw new StoreUnavailableError(`ramp script reply is not JSON: ${String(reply).slice(0, 200)}`, { cause: err });
  }
  if (raw.admitted === true && typeof raw.tokens === 'number' && typeof raw.delayMs === 'number') {
    return { admitted: true, tokens: raw.tokens, delayMs: raw.delayMs };
  }
  if (raw.admitted === false && typeof raw.retryAfterMs === 'number') {
    return { admitted: false, retryAfterMs: raw.retryAfterMs };
  }
  throw new StoreUnavailableError(`ramp script reply has an unexpected shape: ${String(reply).slice(0, 200)}`);
}
