import type { BreakerState } from '../state/breaker-state.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';
import type { AcquireProbeReply } from '../store/breaker-store.js';
import type { ViewSource } from './breaker-events.js';
import type { BreakerSignals } from './breaker-signals.js';
import type { OutcomeSenderParts } from './outcome-sender.js';
import { causeOfChange } from './reply-cause.js';

/** The parts a flush uses, plus the signals a probe emits. */
export interface ProbeClientParts extends OutcomeSenderParts {
  readonly signals: BreakerSignals;
}

/**
 * The pod's side of the half-open probe: asks the store it follows for the one
 * cluster-wide lease (falling back to the local breaker if the shared call
 * fails, which grants a local lease), and reports the result to the store
 * that granted it. Replies refresh the view with the cause they carry. Never
 * rejects; a report that fails is dropped (the shared lease lapses).
 */
export class ProbeClient {
  /** Leases the local breaker granted: reported to it, not to the shared store. */
  readonly #localLeases = new WeakSet<ProbeLease>();
  readonly #p: ProbeClientParts;

  constructor(parts: ProbeClientParts) {
    this.#p = parts;
  }

  /** The lease, when `state` is half_open (or open with the cooldown over on the store's clock); else null. */
  async acquire(state: BreakerState): Promise<ProbeLease | null> {
    const { failover, follower, local, name, podId, metrics, storm, signals } = this.#p;
    if (state !== 'half_open' && !(state === 'open' && follower.cooldownOver)) return null;
    const attempt = async (source: ViewSource): Promise<AcquireProbeReply> => {
      const reply =
        source === 'shared'
          ? await failover.call('acquireProbe', (s) => s.acquireProbe(name, podId))
          : await local.acquireProbe(name, podId);
      follower.apply(reply.snapshot, source, causeOfChange(follower.known, reply.snapshot));
      return reply;
    };
    let source = failover.source;
    let reply: AcquireProbeReply;
    try {
      reply = await attempt(source);
    } catch (err) {
      if (source === 'local' || !follower.degrade(err)) return null;
      source = 'local';
      try {
        reply = await attempt(source);
      } catch {
        return null;
      }
    }
    if (!reply.granted) {
      metrics?.probes.inc({ breaker: name, result: 'refused' });
      return null;
    }
    if (source === 'local') this.#localLeases.add(reply.lease);
    metrics?.probes.inc({ breaker: name, result: 'granted' });
    const { generation, expiresAt } = reply.lease;
    storm.info('probe-granted', podId, { generation, source, expiresAt }, 'probe lease granted');
    signals.probeGranted.emit({ lease: reply.lease, source });
    return reply.lease;
  }

  /** True if the store accepted the result (a stale or expired lease is refused). */
  async report(lease: ProbeLease, outcome: ProbeOutcome): Promise<boolean> {
    const { failover, follower, local, name, podId, metrics, storm, signals } = this.#p;
    const source: ViewSource = this.#localLeases.has(lease) ? 'local' : 'shared';
    let accepted = false;
    try {
      const reply =
        source === 'shared'
          ? await failover.call('reportProbe', (s) => s.reportProbe(lease, outcome))
          : await local.reportProbe(lease, outcome);
      accepted = reply.accepted;
      follower.apply(reply.snapshot, source, causeOfChange(follower.known, reply.snapshot));
    } catch (err) {
      if (source === 'shared') follower.degrade(err);
    }
    metrics?.probes.inc({ breaker: name, result: accepted ? 'accepted' : 'rejected' });
    storm.info('probe-reported', podId, { generation: lease.generation, outcome, accepted }, 'probe reported');
    signals.probeReported.emit({ lease, outcome, accepted });
    return accepted;
  }
}
