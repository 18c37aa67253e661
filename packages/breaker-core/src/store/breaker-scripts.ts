import { fromRedisError } from '../errors/from-redis-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { type BreakerKeys, scriptKeys } from '../keys.js';
import type { OverrideMode } from '../state/breaker-state.js';
import type { ProbeOutcome } from '../state/probe-lease.js';
import type { RedisClient } from './redis-store.js';
import { defineScript, type LoadedScript, loadScripts, type ScriptName } from './script-loader.js';
import {
  type AcquireScriptReply,
  type CreateScriptReply,
  parseAcquireReply,
  parseCreateReply,
  parseReportReply,
  parseScriptReply,
  type ReportScriptReply,
  type ScriptReply,
} from './script-reply.js';

/** What every script call shares: the five keys and ARGV[1..5] of lua/includes/load.lua. */
export interface ScriptCall {
  readonly name: string;
  readonly keys: BreakerKeys;
  /** ms since epoch for ARGV[1], or undefined for Redis TIME (production). */
  readonly now: number | undefined;
  readonly keyTtlMs: number;
  readonly auditMaxLength: number;
}

/**
 * One typed wrapper per breaker script, arguments in the order of the script's
 * header and the reply checked by its parser in script-reply.ts. Script error
 * codes and client failures become typed errors here (fromRedisError), named
 * after `operation`, the store method the caller is in.
 */
export class BreakerScripts {
  readonly #client: RedisClient;
  readonly #scripts: Record<ScriptName, LoadedScript>;

  constructor(client: RedisClient) {
    this.#client = client;
    this.#scripts = loadScripts();
    for (const script of Object.values(this.#scripts)) defineScript(client, script);
  }

  /** register-5: ARGV[6..] the caller's config (configArgs). */
  async register(call: ScriptCall, config: readonly string[]): Promise<CreateScriptReply> {
    return parseCreateReply(await this.#eval('register', call, 'register', config));
  }

  /** record-outcomes-5: ARGV[6] pod, [7] failures, [8] successes, [9..] the pod's config. */
  async recordOutcomes(
    call: ScriptCall,
    podId: string,
    failures: number,
    successes: number,
    config: readonly string[],
  ): Promise<CreateScriptReply> {
    return parseCreateReply(
      await this.#eval('recordOutcomes', call, 'record', [podId, failures, successes, ...config]),
    );
  }

  /** read-snapshot-5: no arguments of its own. */
  async readSnapshot(call: ScriptCall): Promise<ScriptReply> {
    return parseScriptReply(await this.#eval('readSnapshot', call, 'snapshot', []));
  }

  /** acquire-probe-5: ARGV[6] pod asking. */
  async acquireProbe(call: ScriptCall, podId: string): Promise<AcquireScriptReply> {
    return parseAcquireReply(await this.#eval('acquireProbe', call, 'acquireProbe', [podId]));
  }

  /** report-probe-5: ARGV[6] token, [7] outcome. */
  async reportProbe(call: ScriptCall, token: string, outcome: ProbeOutcome): Promise<ReportScriptReply> {
    return parseReportReply(await this.#eval('reportProbe', call, 'reportProbe', [token, outcome]));
  }

  /** set-override-5: ARGV[6] mode, [7] actor, [8] reason, [9] ttl ms. */
  async setOverride(
    call: ScriptCall,
    mode: OverrideMode,
    actor: string,
    reason: string,
    ttlMs: number,
  ): Promise<ScriptReply> {
    const operation = mode === 'forced_open' ? 'forceOpen' : 'forceClose';
    return parseScriptReply(await this.#eval('setOverride', call, operation, [mode, actor, reason, ttlMs]));
  }

  /** clear-override-5: ARGV[6] actor, [7] reason. */
  async clearOverride(call: ScriptCall, actor: string, reason: string): Promise<ScriptReply> {
    return parseScriptReply(await this.#eval('clearOverride', call, 'clearOverride', [actor, reason]));
  }

  /** reset-5: ARGV[6] actor, [7] reason. */
  async reset(call: ScriptCall, actor: string, reason: string): Promise<ScriptReply> {
    return parseScriptReply(await this.#eval('reset', call, 'reset', [actor, reason]));
  }

  /** update-config-5: ARGV[6] actor, [7] reason, [8..] the new config. */
  async updateConfig(call: ScriptCall, actor: string, reason: string, config: readonly string[]): Promise<ScriptReply> {
    return parseScriptReply(await this.#eval('updateConfig', call, 'updateConfig', [actor, reason, ...config]));
  }

  /**
   * Runs a script through the command defineCommand added to the client. That
   * command exists only at run time, so it is looked up and checked here, once,
   * instead of casting the client.
   */
  async #eval(
    script: ScriptName,
    call: ScriptCall,
    operation: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    const command: unknown = Reflect.get(this.#client, this.#scripts[script].command);
    if (typeof command !== 'function') {
      throw new InvalidArgumentError(
        'options.client',
        `script command ${this.#scripts[script].command} is not defined`,
      );
    }
    const argv = [
      ...scriptKeys(call.keys),
      call.now === undefined ? '' : Math.floor(call.now),
      call.keys.channel,
      call.keyTtlMs,
      call.auditMaxLength,
      call.name,
      ...args,
    ];
    try {
      const reply: unknown = await Reflect.apply(command, this.#client, argv);
      return reply;
    } catch (err) {
      throw fromRedisError(err, call.name, operation);
    }
  }
}
