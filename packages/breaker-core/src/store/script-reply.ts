import { type BreakerConfig, parseCanonicalConfig } from '../config/breaker-config.js';
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';
import {
  BREAKER_STATES,
  type BreakerOverride,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerTransition,
} from '../state/breaker-state.js';

/**
 * Turns a script's JSON reply into typed values, checking the shape so that a
 * reply from an incompatible script version fails loudly, not subtly.
 */
export interface ScriptReply {
  readonly raw: Record<string, unknown>;
  readonly snapshot: BreakerSnapshot;
  readonly transitions: BreakerTransition[];
}

type Json = Record<string, unknown>;

const configs = new Map<string, BreakerConfig>();

/** Parsed configs by hash; bounded because a fleet has few distinct configs. */
function configFor(hash: string, json: string): BreakerConfig {
  let config = configs.get(hash);
  if (!config) {
    config = parseCanonicalConfig(json);
    if (configs.size >= 256) configs.clear();
    configs.set(hash, config);
  }
  return config;
}

export function parseScriptReply(reply: unknown): ScriptReply {
  if (typeof reply !== 'string') throw bad('a JSON string', reply);
  let raw: Json;
  try {
    raw = JSON.parse(reply) as Json;
  } catch (err) {
    throw new StoreUnavailableError(`script reply is not JSON: ${reply.slice(0, 200)}`, { cause: err });
  }
  const transitionsRaw = raw.transitions;
  // cjson encodes an empty Lua table as {}.
  const list = Array.isArray(transitionsRaw) ? transitionsRaw : [];
  return {
    raw,
    snapshot: parseSnapshot(obj(raw.snapshot, 'snapshot')),
    transitions: list.map((t) => parseTransition(obj(t, 'transition'))),
  };
}

function parseSnapshot(s: Json): BreakerSnapshot {
  const window = obj(s.window, 'snapshot.window');
  const hash = str(s.configHash, 'configHash');
  return {
    name: str(s.name, 'name'),
    state: state(s.state),
    automaticState: state(s.automaticState) as BreakerSnapshot['automaticState'],
    generation: num(s.generation, 'generation'),
    mode: str(s.mode, 'mode') as BreakerSnapshot['mode'],
    window: {
      failures: num(window.failures, 'window.failures'),
      successes: num(window.successes, 'window.successes'),
      failingPods: num(window.failingPods, 'window.failingPods'),
    },
    openedAt: nullableNum(s.openedAt, 'openedAt'),
    cooldownUntil: nullableNum(s.cooldownUntil, 'cooldownUntil'),
    probeFailures: num(s.probeFailures, 'probeFailures'),
    halfOpenSuccesses: num(s.halfOpenSuccesses, 'halfOpenSuccesses'),
    probe:
      s.probe === null
        ? null
        : (() => {
            const p = obj(s.probe, 'probe');
            return { holder: str(p.holder, 'probe.holder'), expiresAt: num(p.expiresAt, 'probe.expiresAt') };
          })(),
    override: s.override === null ? null : parseOverride(obj(s.override, 'override')),
    configHash: hash,
    config: configFor(hash, str(s.configJson, 'configJson')),
    at: num(s.at, 'at'),
  };
}

function parseOverride(o: Json): BreakerOverride {
  const mode = state(o.mode);
  if (mode !== 'forced_open' && mode !== 'forced_closed') throw bad('an override mode', mode);
  return {
    mode,
    reason: str(o.reason, 'override.reason'),
    actor: str(o.actor, 'override.actor'),
    setAt: num(o.setAt, 'override.setAt'),
    expiresAt: num(o.expiresAt, 'override.expiresAt'),
  };
}

export function parseTransition(t: Json): BreakerTransition {
  return {
    name: str(t.name, 'transition.name'),
    action: str(t.action, 'transition.action') as BreakerTransition['action'],
    from: state(t.from),
    to: state(t.to),
    state: state(t.state),
    generation: num(t.generation, 'transition.generation'),
    at: num(t.at, 'transition.at'),
    actor: str(t.actor, 'transition.actor'),
    reason: str(t.reason, 'transition.reason'),
  };
}

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`an object at ${what}`, v);
  return v as Json;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw bad(`a string at ${what}`, v);
  return v;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`a number at ${what}`, v);
  return v;
}

function nullableNum(v: unknown, what: string): number | null {
  return v === null ? null : num(v, what);
}

function state(v: unknown): BreakerState {
  if (typeof v !== 'string' || !(BREAKER_STATES as readonly string[]).includes(v)) throw bad('a breaker state', v);
  return v as BreakerState;
}

function bad(expected: string, got: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    `unexpected script reply: expected ${expected}, got ${JSON.stringify(got)?.slice(0, 100)}`,
  );
}
