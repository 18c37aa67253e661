import { Counter, Gauge, type Registry } from 'prom-client';
import type { RampEvents } from './ramp-exchange.js';
import type { RampDecision, RampOutcome, RampStatus } from './reconnect-ramp.js';

/**
 * Prometheus metrics of the reconnect ramps, on the Registry the application injects.
 * Every series carries a `ramp` label (the ramp's name); ramps share one set of metric
 * objects per registry. Each pod counts what its own calls decided and saw.
 *
 * | name | type | labels | meaning |
 * |---|---|---|---|
 * | `breakwater_ramp_rate` | gauge | ramp | admissions per second fleet-wide, as of this pod's latest exchange |
 * | `breakwater_ramp_admissions_total` | counter | ramp, slot=now\|booked | takes admitted, at once or at a slot booked ahead |
 * | `breakwater_ramp_refusals_total` | counter | ramp, reason=full\|paused | takes refused: every slot within maxWaitMs booked, or a Retry-After pause |
 * | `breakwater_ramp_feedback_total` | counter | ramp, kind=success\|failure\|overload | outcomes of admitted dials reported by this pod's sessions (stale ones included) |
 * | `breakwater_ramp_adjustments_total` | counter | ramp, direction=increase\|decrease\|restart | rate changes this pod's exchanges made |
 * | `breakwater_ramp_pauses_total` | counter | ramp | pauses this pod's Retry-After reports began or extended |
 */
export class RampMetrics {
  readonly rate: Gauge<'ramp'>;
  readonly admissions: Counter<'ramp' | 'slot'>;
  readonly refusals: Counter<'ramp' | 'reason'>;
  readonly feedback: Counter<'ramp' | 'kind'>;
  readonly adjustments: Counter<'ramp' | 'direction'>;
  readonly pauses: Counter<'ramp'>;

  static #byRegistry = new WeakMap<Registry, RampMetrics>();

  /** The one set of ramp metrics for `registry` (prom-client refuses duplicate names). */
  static for(registry: Registry): RampMetrics {
    let metrics = RampMetrics.#byRegistry.get(registry);
    if (!metrics) {
      metrics = new RampMetrics(registry);
      RampMetrics.#byRegistry.set(registry, metrics);
    }
    return metrics;
  }

  private constructor(registry: Registry) {
    const registers = [registry];
    this.rate = new Gauge({
      name: 'breakwater_ramp_rate',
      help: "Reconnect ramp: admissions per second fleet-wide, as of this pod's latest exchange",
      labelNames: ['ramp'],
      registers,
    });
    this.admissions = new Counter({
      name: 'breakwater_ramp_admissions_total',
      help: 'Reconnect ramp: takes admitted, now or at a slot booked ahead',
      labelNames: ['ramp', 'slot'],
      registers,
    });
    this.refusals = new Counter({
      name: 'breakwater_ramp_refusals_total',
      help: 'Reconnect ramp: takes refused (full: every slot within maxWaitMs booked; paused: Retry-After)',
      labelNames: ['ramp', 'reason'],
      registers,
    });
    this.feedback = new Counter({
      name: 'breakwater_ramp_feedback_total',
      help: "Reconnect ramp: outcomes of admitted dials reported by this pod's sessions",
      labelNames: ['ramp', 'kind'],
      registers,
    });
    this.adjustments = new Counter({
      name: 'breakwater_ramp_adjustments_total',
      help: "Reconnect ramp: rate changes made by this pod's exchanges",
      labelNames: ['ramp', 'direction'],
      registers,
    });
    this.pauses = new Counter({
      name: 'breakwater_ramp_pauses_total',
      help: "Reconnect ramp: pauses begun or extended by this pod's Retry-After reports",
      labelNames: ['ramp'],
      registers,
    });
  }

  reported(ramp: string, kind: RampOutcome): void {
    this.feedback.inc({ ramp, kind });
  }

  /** One exchange's decisions and events, at `now` on the ramp's clock. */
  exchanged(
    ramp: string,
    now: number,
    decisions: readonly RampDecision[],
    status: RampStatus,
    events: RampEvents,
  ): void {
    this.rate.set({ ramp }, status.ratePerSec);
    for (const d of decisions) {
      if (d.admitted) this.admissions.inc({ ramp, slot: d.delayMs > 0 ? 'booked' : 'now' });
      else this.refusals.inc({ ramp, reason: status.pausedUntil > now ? 'paused' : 'full' });
    }
    if (events.restarted) this.adjustments.inc({ ramp, direction: 'restart' });
    if (events.decreased) this.adjustments.inc({ ramp, direction: 'decrease' });
    if (events.increased) this.adjustments.inc({ ramp, direction: 'increase' });
    if (events.paused) this.pauses.inc({ ramp });
  }
}
