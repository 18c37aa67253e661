import type { Clock } from '../clock.js';
import { type BreakerConfig, configHash } from '../config/breaker-config.js';
import type { BreakerMetrics } from '../metrics.js';
import type { BreakerSnapshot } from '../state/breaker-state.js';
import type { BreakerStore, RecordReply, RegisterReply } from '../store/breaker-store.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import type { RedisClient } from '../store/redis-store.js';
import type { ViewSource } from './breaker-events.js';
import type { BreakerSignals } from './breaker-signals.js';
import type { BreakwaterLogger } from './breakwater-logger.js';
import type { RepeatLog } from './repeat-log.js';
import type { StoreDeadline } from './store-deadline.js';
import { storeErrorKind, storeErrorLabel } from './store-error-kind.js';

export interface StoreFailoverParts {
  readonly name: string;
  readonly podId: string;
  /** This pod's config: what it registers. */
  readonly config: BreakerConfig;
  readonly clock: Clock;
  readonly shared: BreakerStore;
  readonly local: MemoryBreakerStore;
  readonly deadline: StoreDeadline;
  /** The breaker's own command connection, if it has one: dropped on a timeout, its status gates the rejoin. */
  readonly client: RedisClient | undefined;
  /** Which store the pod starts on. */
  readonly source: ViewSource;
  /** Whether `shared.register()` succeeded at start. */
  readonly registered: boolean;
  readonly log: BreakwaterLogger;
  readonly storm: RepeatLog;
  readonly metrics: BreakerMetrics | undefined;
  readonly signals: BreakerSignals;
}

/**
 * Which store the pod follows, and the moves between them. Every call to the
 * shared store goes through {@link call} (one deadline, rate-limiter-flexible
 * style). A failed or slow call moves the pod to its local MemoryBreakerStore,
 * restored from what it knew ({@link degrade}); {@link rejoin} moves it back,
 * registering first if it never could and replaying what it counted apart.
 * Failed calls are counted and acted on by kind (store-error-kind.ts).
 */
export class StoreFailover {
  #source: ViewSource;
  #degradedSince: number | null;
  /** `shared` knows our config (RedisBreakerStore.record() refuses a breaker it was not given). */
  #registered: boolean;
  #drift = false;
  #rejoining: Promise<void> | undefined;
  readonly #p: StoreFailoverParts;
  readonly #localConfigHash: string;

  constructor(parts: StoreFailoverParts) {
    this.#p = parts;
    this.#source = parts.source;
    this.#registered = parts.registered;
    this.#degradedSince = parts.source === 'local' ? parts.clock() : null;
    this.#localConfigHash = configHash(parts.config);
    parts.metrics?.storeUp.set({ breaker: parts.name }, parts.source === 'shared' ? 1 : 0);
  }

  get source(): ViewSource {
    return this.#source;
  }

  get configDrift(): boolean {
    return this.#drift;
  }

  /**
   * Settles when a rejoin in flight has ended, either way; undefined when none is. A flush
   * waits for it before choosing a store: outcomes recorded locally after the rejoin read the
   * local window would otherwise be sent nowhere once the pod switches to shared.
   */
  get rejoining(): Promise<void> | undefined {
    return this.#rejoining;
  }

  /** False while the breaker's own connection is not ready: a shared call would fail at once. */
  get sharedReachable(): boolean {
    return this.#p.client === undefined || this.#p.client.status === 'ready';
  }

  /** One call to the shared store under the pod's deadline: slower is failed (and a late reply dropped). */
  call<T>(operation: string, call: (store: BreakerStore) => Promise<T>): Promise<T> {
    return this.#p.deadline.run(operation, () => call(this.#p.shared));
  }

  /** Gives the shared store our config; a stored config that differs is in force (config drift). */
  async register(): Promise<RegisterReply> {
    const { name, config } = this.#p;
    const reply = await this.call('register', (s) => s.register(name, config));
    this.#registered = true;
    this.noteDrift(reply.configDrift, reply.snapshot.configHash);
    return reply;
  }

  /**
   * Switches to the local breaker after a failed shared call, restored from
   * `known` (store clock `offsetMs` ahead of the pod's). Returns false, and
   * stays put, when the error is a bug in the call rather than a store problem.
   */
  degrade(err: unknown, known: BreakerSnapshot, offsetMs: number): boolean {
    const p = this.#p;
    if (storeErrorKind(err) === 'bug') {
      p.log.error({ err }, 'store refused a breaker call: this is a bug');
      return false;
    }
    this.noteStoreError(err);
    if (this.#source === 'local') return true;
    this.#source = 'local';
    this.#degradedSince = p.clock();
    p.local.restore(known, offsetMs);
    p.metrics?.storeUp.set({ breaker: p.name }, 0);
    p.storm.warn('store-down', p.podId, { err }, 'shared breaker state unreachable: continuing on the local breaker');
    p.signals.storeDegraded.emit({ error: err instanceof Error ? err : new Error(String(err)) });
    return true;
  }

  /**
   * Back to the shared state: register first if the pod never could (it
   * started while the store was down), send what `readApart` reads (what was
   * counted apart, still in the window) as one record call, and on success switch
   * source and let `adopt` apply the reply before the recovered event. A
   * failure leaves the pod on the local breaker (logged, aggregated).
   */
  rejoin(
    readApart: () => Promise<{ readonly failures: number; readonly successes: number }>,
    adopt: (snapshot: BreakerSnapshot) => void,
  ): Promise<void> {
    if (this.#rejoining) return this.#rejoining;
    const running = this.#rejoin(readApart, adopt).finally(() => {
      this.#rejoining = undefined;
    });
    this.#rejoining = running;
    return running;
  }

  async #rejoin(
    readApart: () => Promise<{ readonly failures: number; readonly successes: number }>,
    adopt: (snapshot: BreakerSnapshot) => void,
  ): Promise<void> {
    const p = this.#p;
    // Read once this rejoin is marked in flight: no flush can reach the local store after it.
    const replayed = await readApart();
    const record = () => this.call('record', (s) => s.record(p.name, p.podId, replayed));
    let reply: RecordReply;
    try {
      if (!this.#registered) await this.register();
      try {
        reply = await record();
      } catch (err) {
        if (storeErrorKind(err) !== 'not_registered') throw err;
        // The store forgot our config (a caller's store may): register again, once.
        await this.register();
        reply = await record();
      }
    } catch (err) {
      this.noteStoreError(err);
      p.storm.warn(
        'store-still-down',
        p.podId,
        { err },
        'shared breaker state still unreachable; staying on the local breaker',
      );
      return;
    }
    const downtimeMs = this.#degradedSince === null ? 0 : p.clock() - this.#degradedSince;
    this.#source = 'shared';
    this.#degradedSince = null;
    p.metrics?.storeUp.set({ breaker: p.name }, 1);
    p.storm.warn('store-rejoined', p.podId, { downtimeMs, replayed }, 'shared breaker state reachable again: rejoined');
    adopt(reply.snapshot);
    this.noteDrift(reply.configDrift, reply.snapshot.configHash);
    p.signals.storeRecovered.emit({ downtimeMs, replayed });
  }

  /** Counts a failed shared call by kind and does what that kind asks for. */
  noteStoreError(err: unknown): void {
    const p = this.#p;
    const kind = storeErrorKind(err);
    p.metrics?.storeErrors.inc({ breaker: p.name, kind: storeErrorLabel(kind) });
    if (kind === 'not_registered') this.#registered = false; // the rejoin registers again
    // A timed-out command stays queued in ioredis until Redis answers; dropping the
    // connection fails it now, so nothing piles up behind a stalled Redis.
    if (kind === 'timeout' && p.client?.status === 'ready') p.client.disconnect(true);
  }

  /** The stored config (hash `storedHash`) differs from ours, or no longer does. */
  noteDrift(drift: boolean, storedHash: string): void {
    if (drift === this.#drift) return;
    const p = this.#p;
    this.#drift = drift;
    p.metrics?.configDrift.set({ breaker: p.name }, drift ? 1 : 0);
    if (drift) {
      const event = { localHash: this.#localConfigHash, storedHash };
      p.log.warn(event, 'this pod’s breaker config differs from the stored one; the stored one is in force');
      p.signals.configDrift.emit(event);
    }
  }
}
