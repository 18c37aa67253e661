import type { Disposable } from '../store/breaker-store.js';
import type {
  ConfigDriftEvent,
  ProbeGrantedEvent,
  ProbeReportedEvent,
  StateChangeEvent,
  StoreDegradedEvent,
  StoreRecoveredEvent,
} from './breaker-events.js';
import { BreakerSignals } from './breaker-signals.js';

/**
 * The listening side of a ClusterBreaker's events: typed subscriptions that
 * return `{ dispose() }` (cockatiel's `onBreak(fn)`). The ClusterBreaker and
 * the parts it hands `signals` to emit them.
 */
export abstract class BreakerEventSource {
  protected readonly signals: BreakerSignals;

  /** A throwing listener is reported to `onListenerError` and never reaches the emitter. */
  protected constructor(onListenerError: (err: unknown) => void) {
    this.signals = new BreakerSignals(onListenerError);
  }

  /** The state callers obey changed (`cause`: the action, or `resync`/`fallback`/`rejoin`). */
  onStateChange(listener: (e: StateChangeEvent) => void): Disposable {
    return this.signals.stateChange.on(listener);
  }

  /** The pod moved to its local breaker: the shared store failed or was too slow. */
  onStoreDegraded(listener: (e: StoreDegradedEvent) => void): Disposable {
    return this.signals.storeDegraded.on(listener);
  }

  /** The pod is back on the shared store (after adopting its state). */
  onStoreRecovered(listener: (e: StoreRecoveredEvent) => void): Disposable {
    return this.signals.storeRecovered.on(listener);
  }

  onProbeGranted(listener: (e: ProbeGrantedEvent) => void): Disposable {
    return this.signals.probeGranted.on(listener);
  }

  onProbeReported(listener: (e: ProbeReportedEvent) => void): Disposable {
    return this.signals.probeReported.on(listener);
  }

  /** The stored config differs from this pod's (the stored one is in force). */
  onConfigDrift(listener: (e: ConfigDriftEvent) => void): Disposable {
    return this.signals.configDrift.on(listener);
  }
}
