import { type Clock, systemClock } from '../clock.js';
import {
  type BreakerConfig,
  type BreakerConfigInput,
  configHash,
  resolveBreakerConfig,
} from '../config/breaker-config.js';
import { BreakerNotFoundError } from '../errors/breaker-not-found-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { NotRegisteredError } from '../errors/not-registered-error.js';
import { type BreakerRecord, createRecord, toSnapshot } from '../state/breaker-record.js';
import type { AuditEntry, BreakerSnapshot, BreakerTransition, OverrideMode } from '../state/breaker-state.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';
import * as rules from '../state/rules.js';
import { integerInRange, knownKeys, plainObject } from '../validate.js';
import type {
  AcquireProbeReply,
  ActorRequest,
  BreakerStore,
  ClearOverrideRequest,
  Disposable,
  OverrideRequest,
  RecordReply,
  RegisterReply,
  ReportProbeReply,
} from './breaker-store.js';
import {
  checkActorRequest,
  checkAuditOptions,
  checkName,
  checkOutcomes,
  checkOverrideRequest,
  checkPodId,
  checkProbeReport,
} from './store-input.js';

export interface MemoryBreakerStoreOptions {
  /** Time source, ms since epoch. @default Date.now */
  clock?: Clock;
  /** Audit entries kept per breaker (oldest dropped first). Range 1 – 100_000. @default 1_000 */
  auditMaxLength?: number;
  /** Breakers one store may hold; registering more is refused. Range 1 – 1_000_000. @default 10_000 */
  maxBreakers?: number;
}

export const DEFAULT_MEMORY_STORE_OPTIONS = Object.freeze({ auditMaxLength: 1_000, maxBreakers: 10_000 });

/**
 * Counts records created in this process, across every MemoryBreakerStore: a
 * record's incarnation. A restored record restarts its lease sequence (often at
 * the same generation), and only a fresh incarnation keeps its tokens from
 * repeating ones granted before. The `m` keeps them apart from Redis tokens.
 */
let incarnations = 0;

/** More fields for a transition's audit entry (config_update: the rules before and after). */
type AuditExtra = (t: rules.Transition) => Pick<AuditEntry, 'config'>;
function nextIncarnation(): string {
  incarnations += 1;
  return `m${incarnations}`;
}

/**
 * The breaker rules in one process, with the same semantics as the Redis store.
 * Serves single-process use and is the pod runtime's fallback while Redis is
 * unreachable. Each operation is one synchronous step, so it is atomic.
 */
export class MemoryBreakerStore implements BreakerStore {
  readonly #clock: Clock;
  readonly #auditMaxLength: number;
  readonly #maxBreakers: number;
  readonly #records = new Map<string, BreakerRecord>();
  readonly #audit = new Map<string, AuditEntry[]>();
  readonly #listeners = new Map<string, Set<(t: BreakerTransition) => void>>();
  readonly #registered = new Map<string, BreakerConfig>();
  #auditSeq = 0;
  #auditIdMs = 0;
  #closed = false;

  constructor(options: MemoryBreakerStoreOptions = {}) {
    const o = plainObject('options', options);
    knownKeys('options', o, ['clock', 'auditMaxLength', 'maxBreakers']);
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidArgumentError('options.clock', `expected a function returning ms, got ${typeof options.clock}`);
    }
    this.#clock = options.clock ?? systemClock;
    this.#auditMaxLength = integerInRange(
      'options.auditMaxLength',
      options.auditMaxLength ?? DEFAULT_MEMORY_STORE_OPTIONS.auditMaxLength,
      1,
      100_000,
    );
    this.#maxBreakers = integerInRange(
      'options.maxBreakers',
      options.maxBreakers ?? DEFAULT_MEMORY_STORE_OPTIONS.maxBreakers,
      1,
      1_000_000,
    );
  }

  async register(name: string, config: BreakerConfigInput = {}): Promise<RegisterReply> {
    checkName(name);
    const resolved = resolveBreakerConfig(config);
    const now = this.#now();
    const record = this.#ensure(name, resolved);
    this.#registered.set(name, resolved);
    // Like every other operation (and register-5.lua): what fell due is applied and published first.
    const out: rules.Transition[] = [];
    rules.applyDue(record, now, out);
    this.#publish(record, out);
    return { snapshot: toSnapshot(record, now), configDrift: record.configHash !== configHash(resolved) };
  }

  async record(name: string, podId: string, outcomes: { failures: number; successes: number }): Promise<RecordReply> {
    checkName(name);
    checkPodId(podId);
    const { failures, successes } = checkOutcomes(outcomes);
    const config = this.#registered.get(name);
    if (!config) throw new NotRegisteredError(name);
    const now = this.#now();
    const created = !this.#records.has(name);
    const record = this.#ensure(name, config);
    const transitions = this.#publish(record, rules.recordOutcomes(record, now, podId, failures, successes));
    return {
      snapshot: toSnapshot(record, now),
      configDrift: record.configHash !== configHash(config),
      created,
      transitions,
    };
  }

  async snapshot(name: string): Promise<BreakerSnapshot> {
    return this.#mutate(name, () => {});
  }

  async acquireProbe(name: string, podId: string): Promise<AcquireProbeReply> {
    checkName(name);
    checkPodId(podId);
    const { record, now } = this.#existing(name);
    const out: rules.Transition[] = [];
    const result = rules.acquireProbe(record, now, podId, out);
    this.#publish(record, out);
    return { ...result, snapshot: toSnapshot(record, now) };
  }

  async reportProbe(lease: ProbeLease, outcome: ProbeOutcome): Promise<ReportProbeReply> {
    const { record, now } = this.#existing(checkProbeReport(lease, outcome));
    const out: rules.Transition[] = [];
    const result = rules.reportProbe(record, now, lease.token, outcome, out);
    this.#publish(record, out);
    return { ...result, snapshot: toSnapshot(record, now) };
  }

  async forceOpen(name: string, request: OverrideRequest): Promise<BreakerSnapshot> {
    return this.#override(name, 'forced_open', request);
  }

  async forceClose(name: string, request: OverrideRequest): Promise<BreakerSnapshot> {
    return this.#override(name, 'forced_closed', request);
  }

  async clearOverride(name: string, request: ClearOverrideRequest): Promise<BreakerSnapshot> {
    const { actor, reason } = checkActorRequest(request, false);
    return this.#mutate(name, (r, now, out) => rules.clearOverride(r, now, actor, reason, out));
  }

  async reset(name: string, request: ActorRequest): Promise<BreakerSnapshot> {
    const { actor, reason } = checkActorRequest(request, true);
    return this.#mutate(name, (r, now, out) => rules.reset(r, now, actor, reason, out));
  }

  async updateConfig(name: string, config: BreakerConfigInput, request: ActorRequest): Promise<BreakerSnapshot> {
    const resolved = resolveBreakerConfig(config);
    const { actor, reason } = checkActorRequest(request, true);
    let from: BreakerConfig | undefined;
    return this.#mutate(
      name,
      (r, now, out) => {
        from = r.config;
        rules.replaceConfig(r, now, resolved, actor, reason, out);
      },
      (t) => (t.action === 'config_update' && from ? { config: { from, to: resolved } } : {}),
    );
  }

  async audit(name: string, options: { limit?: number } = {}): Promise<AuditEntry[]> {
    checkName(name);
    const limit = checkAuditOptions(options);
    if (!this.#records.has(name)) throw new BreakerNotFoundError(name);
    return (this.#audit.get(name) ?? []).slice(-limit).reverse();
  }

  /**
   * Continues a breaker from a snapshot taken elsewhere (the pod runtime's
   * fallback picks up where the shared state was): state, generation, cooldown,
   * escalation and override carry over, shifted by `clockOffsetMs` (snapshot
   * clock minus this store's clock); the window starts empty and no probe lease
   * carries over. Replaces any local record of that breaker.
   */
  restore(snapshot: BreakerSnapshot, clockOffsetMs = 0): void {
    checkName(snapshot.name);
    const toLocal = (t: number | null) => (t === null ? null : t - clockOffsetMs);
    const record = createRecord(snapshot.name, snapshot.config, nextIncarnation());
    record.auto = snapshot.automaticState;
    record.generation = snapshot.generation;
    record.openedAt = toLocal(snapshot.openedAt);
    record.cooldownUntil = toLocal(snapshot.cooldownUntil);
    record.probeFailures = snapshot.probeFailures;
    record.halfOpenSuccesses = snapshot.halfOpenSuccesses;
    record.override = snapshot.override
      ? {
          ...snapshot.override,
          setAt: snapshot.override.setAt - clockOffsetMs,
          expiresAt: snapshot.override.expiresAt - clockOffsetMs,
        }
      : null;
    if (!this.#records.has(snapshot.name) && this.#records.size >= this.#maxBreakers) {
      throw new InvalidArgumentError('name', `store already holds maxBreakers (${this.#maxBreakers}) breakers`);
    }
    this.#records.set(snapshot.name, record);
  }

  async list(): Promise<string[]> {
    return [...this.#records.keys()].sort();
  }

  async subscribe(name: string, listener: (t: BreakerTransition) => void): Promise<Disposable> {
    checkName(name);
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener', 'expected a function');
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    // Wrap so the same function may subscribe twice and dispose independently.
    const entry = (t: BreakerTransition) => listener(t);
    set.add(entry);
    return {
      dispose: () => {
        set.delete(entry);
        if (set.size === 0 && this.#listeners.get(name) === set) this.#listeners.delete(name);
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }

  // ── internals ──────────────────────────────────────────────────────────────

  #now(): number {
    if (this.#closed) throw new InvalidArgumentError('store', 'this MemoryBreakerStore was closed');
    return this.#clock();
  }

  #ensure(name: string, config: BreakerConfig): BreakerRecord {
    let record = this.#records.get(name);
    if (!record) {
      if (this.#records.size >= this.#maxBreakers) {
        throw new InvalidArgumentError('name', `store already holds maxBreakers (${this.#maxBreakers}) breakers`);
      }
      record = createRecord(name, config, nextIncarnation());
      this.#records.set(name, record);
    }
    return record;
  }

  #existing(name: string): { record: BreakerRecord; now: number } {
    const now = this.#now();
    const record = this.#records.get(name);
    if (!record) throw new BreakerNotFoundError(name);
    return { record, now };
  }

  #mutate(
    name: string,
    step: (r: BreakerRecord, now: number, out: rules.Transition[]) => void,
    auditExtra?: AuditExtra,
  ): BreakerSnapshot {
    checkName(name);
    const { record, now } = this.#existing(name);
    const out: rules.Transition[] = [];
    rules.applyDue(record, now, out);
    step(record, now, out);
    this.#publish(record, out, auditExtra);
    return toSnapshot(record, now);
  }

  #override(name: string, mode: OverrideMode, request: OverrideRequest): Promise<BreakerSnapshot> {
    const { reason, actor, ttlMs } = checkOverrideRequest(request);
    return Promise.resolve(
      this.#mutate(name, (record, now, out) => rules.setOverride(record, now, mode, actor, reason, ttlMs, out)),
    );
  }

  /**
   * Appends to the bounded audit log and notifies subscribers after the step (like
   * PUBLISH; what subscribers get carries the audit id, the reply's transitions do not).
   */
  #publish(record: BreakerRecord, out: readonly rules.Transition[], auditExtra?: AuditExtra): BreakerTransition[] {
    if (out.length === 0) return [];
    let log = this.#audit.get(record.name);
    if (!log) {
      log = [];
      this.#audit.set(record.name, log);
    }
    const published: BreakerTransition[] = [];
    const delivered: BreakerTransition[] = [];
    for (const t of out) {
      this.#auditSeq += 1;
      // Like a Redis stream id: ms then a sequence, never decreasing (a lapse is stamped earlier than now).
      this.#auditIdMs = Math.max(this.#auditIdMs, t.at);
      const id = `${this.#auditIdMs}-${this.#auditSeq}`;
      const { state: _state, overrideExpiresAt: _expires, incarnation: _life, ...entry } = t;
      log.push({ id, ...entry, ...auditExtra?.(t) });
      published.push({ name: record.name, ...t });
      delivered.push({ name: record.name, ...t, auditId: id });
    }
    if (log.length > this.#auditMaxLength) log.splice(0, log.length - this.#auditMaxLength);
    const listeners = this.#listeners.get(record.name);
    if (listeners && listeners.size > 0) {
      const targets = [...listeners];
      queueMicrotask(() => {
        for (const t of delivered) for (const listener of targets) listener(t);
      });
    }
    return published;
  }
}
