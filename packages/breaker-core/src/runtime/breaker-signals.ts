import type {
  ConfigDriftEvent,
  ProbeGrantedEvent,
  ProbeReportedEvent,
  StateChangeEvent,
  StoreDegradedEvent,
  StoreRecoveredEvent,
} from './breaker-events.js';
import { Signal } from './signal.js';

/**
 * The typed events of one ClusterBreaker, in one place so each part of the
 * runtime emits its own (the failover its degraded/recovered, the probe client
 * its granted/reported) while ClusterBreaker hands out the subscriptions.
 */
export class BreakerSignals {
  readonly stateChange: Signal<StateChangeEvent>;
  readonly storeDegraded: Signal<StoreDegradedEvent>;
  readonly storeRecovered: Signal<StoreRecoveredEvent>;
  readonly probeGranted: Signal<ProbeGrantedEvent>;
  readonly probeReported: Signal<ProbeReportedEvent>;
  readonly configDrift: Signal<ConfigDriftEvent>;

  /** A throwing listener is reported to `onListenerError` and never reaches the part that emitted. */
  constructor(onListenerError: (err: unknown) => void) {
    this.stateChange = new Signal(onListenerError);
    this.storeDegraded = new Signal(onListenerError);
    this.storeRecovered = new Signal(onListenerError);
    this.probeGranted = new Signal(onListenerError);
    this.probeReported = new Signal(onListenerError);
    this.configDrift = new Signal(onListenerError);
  }

  /** Drops every listener (close()). */
  clear(): void {
    for (const s of [
      this.stateChange,
      this.storeDegraded,
      this.storeRecovered,
      this.probeGranted,
      this.probeReported,
      this.configDrift,
    ]) {
      s.clear();
    }
  }
}
