import { type BreakerConfig, parseCanonicalConfig } from '../config/breaker-config.js';
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';
import {
  BREAKER_STATES,
  type BreakerOverride,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerTransition,
} from '../state/breaker-state.js';
import type { ProbeLease } from '../state/probe-lease.js';

/**
 * Turns a script's JSON reply into typed values, checking the shape so that a
 * reply from an incompatible script version fails loudly (StoreUnavailableError),
 * not subtly. One parser per reply shape of lua/*.lua; nothing reads the raw JSON.
 */
export interface ScriptReply {
  readonly snapshot: BreakerSnapshot;
  /** What the call caused, in order. */
  readonly transitions: BreakerTransition[];
}

/** register-5 and record-outcomes-5. */
export interface CreateScriptReply extends ScriptReply {
  /** The breaker did not exist and this call created it. */
  readonly created: boolean;
  /** The stored config hashes differently from the caller's. */
  readonly drift: boolean;
}

/** acquire-probe-5; the lease as the script grants it (the store adds the breaker name). */
export type AcquireScriptReply = ScriptReply &
  (
    | { readonly granted: true; readonly lease: Omit<ProbeLease, 'breaker'> }
    | { readonly granted: false; readonly reason: 'not_half_open' }
    | { readonly granted: false; readonly reason: 'held'; readonly holder: string; readonly expiresAt: number }
  );

/** report-probe-5. */
export type ReportScriptReply = ScriptReply &
  ({ readonly accepted: true } | { readonly accepted: false; readonly reason: 'stale' | 'expired' });

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

/** A reply with only the shared fields (snapshot, transitions). */
export function parseScriptReply(reply: unknown): ScriptReply {
  return parseCommon(parseJson(reply));
}

export function parseCreateReply(reply: unknown): CreateScriptReply {
  const raw = parseJson(reply);
  return { ...parseCommon(raw), created: bool(raw.created, 'created'), drift: bool(raw.drift, 'drift') };
}

export function parseAcquireReply(reply: unknown): AcquireScriptReply {
  const raw = parseJson(reply);
  const common = parseCommon(raw);
  if (bool(raw.granted, 'granted')) {
    const l = obj(raw.lease, 'lease');
    const lease = {
      token: str(l.token, 'lease.token'),
      generation: num(l.generation, 'lease.generation'),
      holder: str(l.holder, 'lease.holder'),
      expiresAt: num(l.expiresAt, 'lease.expiresAt'),
    };
    return { ...common, granted: true, lease };
  }
  const reason = oneOf(raw.reason, 'reason', ['not_half_open', 'held'] as const);
  if (reason === 'not_half_open') return { ...common, granted: false, reason };
  return {
    ...common,
    granted: false,
    reason,
    holder: str(raw.holder, 'holder'),
    expiresAt: num(raw.expiresAt, 'expiresAt'),
  };
}

export function parseReportReply(reply: unknown): ReportScriptReply {
  const raw = parseJson(reply);
  const common = parseCommon(raw);
  if (bool(raw.accepted, 'accepted')) return { ...common, accepted: true };
  return { ...common, accepted: false, reason: oneOf(raw.reason, 'reason', ['stale', 'expired'] as const) };
}

function parseJson(reply: unknown): Json {
  if (typeof reply !== 'string') throw bad('a JSON string', reply);
  let raw: unknown;
  try {
    raw = JSON.parse(reply);
  } catch (err) {
    throw new StoreUnavailableError(`script reply is not JSON: ${reply.slice(0, 200)}`, { cause: err });
  }
  return obj(raw, 'the reply');
}

function parseCommon(raw: Json): ScriptReply {
  return {
    snapshot: parseSnapshot(obj(raw.snapshot, 'snapshot')),
    transitions: list(raw.transitions, 'transitions').map((t) => parseTransition(obj(t, 'transition'))),
  };
}

/** A JSON array; cjson encodes an empty Lua table as {}, so that is an empty one too. */
function list(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (Object.keys(obj(v, what)).length === 0) return [];
  throw bad(`an array at ${what}`, v);
}

function parseSnapshot(s: Json): BreakerSnapshot {
  const window = obj(s.window, 'snapshot.window');
  const hash = str(s.configHash, 'configHash');
  return {
    name: str(s.name, 'name'),
    state: state(s.state),
    automaticState: state(s.automaticState) as BreakerSnapshot['automaticState'],
    generation: num(s.generation, 'generation'),
    incarnation: str(s.incarnation, 'incarnation'),
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
    // Absent from messages of scripts before it was added: treated as unknown (null).
    overrideExpiresAt:
      t.overrideExpiresAt === null || t.overrideExpiresAt === undefined
        ? null
        : num(t.overrideExpiresAt, 'transition.overrideExpiresAt'),
    // Only in published messages (not replies), and only from scripts that know it.
    ...(t.auditId === undefined ? {} : { auditId: str(t.auditId, 'transition.auditId') }),
    // Absent from messages of scripts before it was added: then ordered by generation alone.
    ...(t.incarnation === undefined ? {} : { incarnation: str(t.incarnation, 'transition.incarnation') }),
  };
}

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`an object at ${what}`, v);
  return v as Json;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw bad(`a boolean at ${what}`, v);
  return v;
}

function oneOf<T extends string>(v: unknown, what: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw bad(`one of ${allowed.join(', ')} at ${what}`, v);
  return v as T;
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
