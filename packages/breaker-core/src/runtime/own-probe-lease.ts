import type { Clock } from '../clock.js';
import type { BreakerMetrics } from '../metrics.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';
import type { ViewSource } from './breaker-events.js';
import type { BreakerSignals } from './breaker-signals.js';
import type { RepeatLog } from './repeat-log.js';

export interface OwnProbeLeaseParts {
  readonly name: string;
  readonly podId: string;
  readonly clock: Clock;
  readonly metrics: BreakerMetrics | undefined;
  readonly repeatLog: RepeatLog;
  readonly signals: BreakerSignals;
}

/**
 * The pod's side of "one probe at a time", and what a grant or a report tells
 * the world (`breakwater_breaker_probes_total`, the `probe-granted` and
 * `probe-reported` log events, onProbeGranted / onProbeReported).
 *
 * A store grants a pod's live lease to the same pod again when it asks twice
 * (so a pod that lost a reply can take its lease back), so two callers in one
 * pod (two sessions) could both hold it and both probe. The ClusterBreaker asks
 * {@link free} first: no lease is asked for while one is being asked for, or
 * while the pod holds a lease it was granted that is neither reported nor
 * expired (its `expiresAt`, on the granting store's clock, turned into the
 * pod's with the offset of the grant's reply). A transition that fences the
 * lease does not free it: its holder is still probing, and reports (refused) or
 * lets it expire.
 */
export class OwnProbeLease {
  #asking = false;
  #held: { readonly token: string; readonly until: number } | null = null;
  readonly #parts: OwnProbeLeaseParts;

  constructor(parts: OwnProbeLeaseParts) {
    this.#parts = parts;
  }

  /** True when this pod may ask for a lease: not asking already, none held. */
  get free(): boolean {
    if (this.#held !== null && this.#parts.clock() >= this.#held.until) this.#held = null;
    return !this.#asking && this.#held === null;
  }

  /** Marks an ask in flight (true) or over (false). */
  set asking(asking: boolean) {
    this.#asking = asking;
  }

  /** The store refused this pod the lease (not half-open, or another pod holds it). */
  refused(): void {
    const { metrics, name } = this.#parts;
    metrics?.probes.inc({ breaker: name, result: 'refused' });
  }

  /** `source` granted this pod `lease`; `offsetMs` is that store's clock minus the pod's. */
  granted(lease: ProbeLease, source: ViewSource, offsetMs: number): void {
    const { metrics, name, podId, repeatLog, signals } = this.#parts;
    this.#held = { token: lease.token, until: lease.expiresAt - offsetMs };
    metrics?.probes.inc({ breaker: name, result: 'granted' });
    const { generation, expiresAt } = lease;
    repeatLog.info('probe-granted', podId, { generation, source, expiresAt }, 'probe lease granted');
    signals.probeGranted.emit({ lease, source });
  }

  /** `lease` was reported (accepted or not, or the call failed): if it is the one held, the pod may ask again. */
  reported(lease: ProbeLease, outcome: ProbeOutcome, accepted: boolean): void {
    const { metrics, name, podId, repeatLog, signals } = this.#parts;
    if (this.#held?.token === lease.token) this.#held = null;
    metrics?.probes.inc({ breaker: name, result: accepted ? 'accepted' : 'rejected' });
    repeatLog.info('probe-reported', podId, { generation: lease.generation, outcome, accepted }, 'probe reported');
    signals.probeReported.emit({ lease, outcome, accepted });
  }
}
