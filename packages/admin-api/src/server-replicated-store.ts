import type {
  AcquireProbeReply,
  ActorRequest,
  AuditEntry,
  BreakerConfigInput,
  BreakerSnapshot,
  BreakerStore,
  BreakerTransition,
  ClearOverrideRequest,
  Disposable,
  OverrideRequest,
  ProbeLease,
  ProbeOutcome,
  RecordReply,
  RedisClient,
  RegisterReply,
  ReportProbeReply,
} from '@breakwater/breaker-core';
import { RedisBreakerStore } from '@breakwater/breaker-core';
import { breakerKeys } from '@breakwater/breaker-core/internal';
import type { Logger } from 'pino';
import { type AdminAction, waitForReplicas } from './server-redis.js';

export interface ReplicatedStoreOptions {
  /** Reads (and anything that is not an admin mutation). */
  readonly client: RedisClient;
  /** Admin mutations, each followed by a WAIT on this connection. */
  readonly mutations: RedisClient;
  readonly prefix: string;
  /** Replicas each mutation waits for; 0 = no WAIT. */
  readonly replicas: number;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/**
 * The standalone server's store: a RedisBreakerStore whose admin mutations
 * (force-open, force-close, clear, reset, config) are followed by
 * `WAIT <replicas> <timeoutMs>`, so the answer comes once a replica has the change
 * and a failover right after keeps it (Redis replication is asynchronous: a
 * failover loses what the promoted replica has not received).
 *
 * When fewer replicas acknowledge in time the change stands (it is in force on
 * the master, and the pods have heard it), the answer is the same, and a warning
 * says a failover now would undo it. Waiting longer, or refusing, would not make
 * it durable: only `min-replicas-to-write` on the master can refuse writes no
 * replica takes, and it would refuse the pods' writes too. Mutations have their
 * own connection, so a WAIT never delays a read.
 */
export class ReplicatedStore implements BreakerStore {
  readonly #reads: RedisBreakerStore;
  readonly #writes: RedisBreakerStore;
  readonly #options: ReplicatedStoreOptions;

  constructor(options: ReplicatedStoreOptions) {
    this.#options = options;
    this.#reads = new RedisBreakerStore({ client: options.client, prefix: options.prefix });
    this.#writes = new RedisBreakerStore({ client: options.mutations, prefix: options.prefix });
  }

  register(name: string, config?: BreakerConfigInput): Promise<RegisterReply> {
    return this.#reads.register(name, config);
  }

  record(name: string, podId: string, outcomes: { failures: number; successes: number }): Promise<RecordReply> {
    return this.#reads.record(name, podId, outcomes);
  }

  snapshot(name: string): Promise<BreakerSnapshot> {
    return this.#reads.snapshot(name);
  }

  acquireProbe(name: string, podId: string): Promise<AcquireProbeReply> {
    return this.#reads.acquireProbe(name, podId);
  }

  reportProbe(lease: ProbeLease, outcome: ProbeOutcome): Promise<ReportProbeReply> {
    return this.#reads.reportProbe(lease, outcome);
  }

  forceOpen(name: string, request: OverrideRequest): Promise<BreakerSnapshot> {
    return this.#replicated(name, 'force_open', () => this.#writes.forceOpen(name, request));
  }

  forceClose(name: string, request: OverrideRequest): Promise<BreakerSnapshot> {
    return this.#replicated(name, 'force_close', () => this.#writes.forceClose(name, request));
  }

  clearOverride(name: string, request: ClearOverrideRequest): Promise<BreakerSnapshot> {
    return this.#replicated(name, 'clear_override', () => this.#writes.clearOverride(name, request));
  }

  reset(name: string, request: ActorRequest): Promise<BreakerSnapshot> {
    return this.#replicated(name, 'reset', () => this.#writes.reset(name, request));
  }

  updateConfig(name: string, config: BreakerConfigInput, request: ActorRequest): Promise<BreakerSnapshot> {
    return this.#replicated(name, 'update_config', () => this.#writes.updateConfig(name, config, request));
  }

  audit(name: string, options?: { limit?: number }): Promise<AuditEntry[]> {
    return this.#reads.audit(name, options);
  }

  list(): Promise<string[]> {
    return this.#reads.list();
  }

  subscribe(name: string, listener: (transition: BreakerTransition) => void): Promise<Disposable> {
    return this.#reads.subscribe(name, listener);
  }

  async close(): Promise<void> {
    await Promise.all([this.#reads.close(), this.#writes.close()]);
  }

  async #replicated(name: string, action: AdminAction, write: () => Promise<BreakerSnapshot>) {
    const snapshot = await write();
    const { replicas, timeoutMs, mutations, prefix, logger } = this.#options;
    if (replicas === 0) return snapshot;
    const context = { breaker: name, action, generation: snapshot.generation, wanted: replicas, timeoutMs };
    try {
      const acknowledged = await waitForReplicas(mutations, breakerKeys(prefix, name).state, replicas, timeoutMs);
      if (acknowledged < replicas) {
        logger.warn(
          { ...context, acknowledged },
          'change in force on the Redis master but not yet on a replica: a failover now would undo it',
        );
      }
    } catch (err) {
      logger.warn(
        { ...context, err: { message: (err as Error).message } },
        'change in force on the Redis master; could not ask whether a replica has it',
      );
    }
    return snapshot;
  }
}
