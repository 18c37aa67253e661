import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerState } from './state/breaker-state.js';

/**
 * Prometheus metrics of the pod runtime, on the Registry the application
 * injects. Every series carries a `breaker` label; several breakers share one
 * set of metric objects per registry.
 *
 * | name | type | labels | meaning |
 * |---|---|---|---|
 * | `breakwater_breaker_state` | gauge | breaker | 0 closed, 1 open, 2 half_open, 3 forced_open, 4 forced_closed |
 * | `breakwater_breaker_transitions_total` | counter | breaker, from, to | state changes this pod observed |
 * | `breakwater_breaker_calls_total` | counter | breaker, outcome=success\|failure | outcomes recorded |
 * | `breakwater_breaker_rejections_total` | counter | breaker, mode=enforce\|shadow | calls refused (shadow: would have been); allow() counts them, a scrape adds them up |
 * | `breakwater_breaker_store_up` | gauge | breaker | 1 on the shared Redis state, 0 on the local fallback |
 * | `breakwater_breaker_store_errors_total` | counter | breaker, kind=timeout\|unavailable\|other | failed store calls |
 * | `breakwater_breaker_flush_duration_seconds` | histogram | breaker, store=shared\|local | one batched record call, by the store it went to (a flush whose shared call fails and goes on to the local store is observed once under each) |
 * | `breakwater_breaker_view_age_seconds` | gauge | breaker | seconds since the shared store last confirmed the pod's view (grows on the fallback) |
 * | `breakwater_breaker_probes_total` | counter | breaker, result=granted\|refused\|accepted\|rejected | probe leases asked for and reported |
 * | `breakwater_breaker_config_drift` | gauge | breaker | 1 when this pod's config differs from the stored one |
 */
export const STATE_VALUES: Readonly<Record<BreakerState, number>> = Object.freeze({
  closed: 0,
  open: 1,
  half_open: 2,
  forced_open: 3,
  forced_closed: 4,
});

export class BreakerMetrics {
  readonly state: Gauge<'breaker'>;
  readonly transitions: Counter<'breaker' | 'from' | 'to'>;
  readonly calls: Counter<'breaker' | 'outcome'>;
  readonly rejections: Counter<'breaker' | 'mode'>;
  readonly storeUp: Gauge<'breaker'>;
  readonly storeErrors: Counter<'breaker' | 'kind'>;
  readonly flushDuration: Histogram<'breaker' | 'store'>;
  readonly viewAge: Gauge<'breaker'>;
  readonly probes: Counter<'breaker' | 'result'>;
  readonly configDrift: Gauge<'breaker'>;
  readonly #viewAges = new Set<() => { breaker: string; seconds: number }>();
  readonly #rejectionSources = new Set<() => void>();

  static #byRegistry = new WeakMap<Registry, BreakerMetrics>();

  /** The one set of metrics for `registry` (prom-client refuses duplicate names). */
  static for(registry: Registry): BreakerMetrics {
    let metrics = BreakerMetrics.#byRegistry.get(registry);
    if (!metrics) {
      metrics = new BreakerMetrics(registry);
      BreakerMetrics.#byRegistry.set(registry, metrics);
    }
    return metrics;
  }

  private constructor(registry: Registry) {
    const registers = [registry];
    const sources = this.#viewAges;
    const rejectionSources = this.#rejectionSources;
    this.state = new Gauge({
      name: 'breakwater_breaker_state',
      help: 'Breaker state as seen by this pod: 0 closed, 1 open, 2 half_open, 3 forced_open, 4 forced_closed',
      labelNames: ['breaker'],
      registers,
    });
    this.transitions = new Counter({
      name: 'breakwater_breaker_transitions_total',
      help: 'State changes observed by this pod',
      labelNames: ['breaker', 'from', 'to'],
      registers,
    });
    this.calls = new Counter({
      name: 'breakwater_breaker_calls_total',
      help: 'Call outcomes recorded by this pod',
      labelNames: ['breaker', 'outcome'],
      registers,
    });
    this.rejections = new Counter({
      name: 'breakwater_breaker_rejections_total',
      help: 'Calls refused by the breaker (mode="shadow": would have been refused)',
      labelNames: ['breaker', 'mode'],
      registers,
      // allow() only bumps a number on its breaker; the breakers add them up here, at scrape time.
      collect() {
        for (const report of rejectionSources) report();
      },
    });
    this.storeUp = new Gauge({
      name: 'breakwater_breaker_store_up',
      help: '1 while this pod follows the shared Redis state, 0 while it runs on its local fallback',
      labelNames: ['breaker'],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'breakwater_breaker_store_errors_total',
      help: 'Failed calls to the shared store',
      labelNames: ['breaker', 'kind'],
      registers,
    });
    this.flushDuration = new Histogram({
      name: 'breakwater_breaker_flush_duration_seconds',
      help: 'Duration of one batched record call, by the store it went to (shared Redis, or the local fallback)',
      labelNames: ['breaker', 'store'],
      // Up to 2.5 s: a shared call is cut at commandTimeoutMs (≤ 10 s, default 250 ms), so
      // anything in the top buckets is an event loop that could not run the deadline on time.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.viewAge = new Gauge({
      name: 'breakwater_breaker_view_age_seconds',
      help: "Seconds since the shared store (Redis) last confirmed this pod's view of the breaker; grows while it runs on its local fallback",
      labelNames: ['breaker'],
      registers,
      // Read from each breaker at scrape time: nothing on the hot path.
      collect() {
        for (const source of sources) {
          const { breaker, seconds } = source();
          this.set({ breaker }, seconds);
        }
      },
    });
    this.probes = new Counter({
      name: 'breakwater_breaker_probes_total',
      help: 'Probe leases asked for (granted/refused) and probe results reported (accepted/rejected)',
      labelNames: ['breaker', 'result'],
      registers,
    });
    this.configDrift = new Gauge({
      name: 'breakwater_breaker_config_drift',
      help: "1 when this pod's breaker config differs from the stored one (the stored one is in force)",
      labelNames: ['breaker'],
      registers,
    });
  }

  /** Registers a breaker's view age, read when the metrics are collected; returns its removal. */
  trackViewAge(source: () => { breaker: string; seconds: number }): () => void {
    this.#viewAges.add(source);
    return () => this.#viewAges.delete(source);
  }

  /** Registers a breaker's rejection counts, reported when the metrics are collected; returns its removal. */
  trackRejections(report: () => void): () => void {
    this.#rejectionSources.add(report);
    return () => this.#rejectionSources.delete(report);
  }

  /** Drops a closed breaker's gauges so they do not report a frozen value. */
  forget(breaker: string): void {
    for (const gauge of [this.state, this.storeUp, this.viewAge, this.configDrift]) gauge.remove({ breaker });
  }
}
