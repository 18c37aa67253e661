import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The metrics every session of a pod shares, created once per prom-client
 * Registry (sessions given the same registry add to the same series).
 *
 * | name | type | labels | meaning |
 * |---|---|---|---|
 * | `pusher_sessions` | gauge | `state` | live sessions in each state (idle, connecting, connected, reconnect_backoff, degraded, half_open_probe); a closed session leaves it |
 * | `pusher_reconnect_attempts_total` | counter | `result` = success, failure, timeout, overloaded | dials made to pusher, first connects included (overloaded: the upgrade answered 503 or 429 with `Retry-After`) |
 * | `pusher_circuit_breaker_rejections_total` | counter | — | dials not made because the cluster breaker did not allow them |
 * | `pusher_queue_drops_total` | counter | `queue` = audio, transcript, speaker_sample | items dropped instead of sent (not connected, buffer full, socket backed up, invalid) |
 * | `pusher_queue_dropped_bytes_total` | counter | `queue` | bytes of those items |
 * | `pusher_conversation_outcomes_total` | counter | `via` = pusher, fallback; `status` = succeeded, failed, timed_out, rejected, expired | conversations ended, one per conversation id; only `succeeded` was processed |
 * | `pusher_conversation_fallbacks_total` | counter | `reason` = degraded, breaker_open, timeout, pusher_error, closed, overloaded | why a conversation went to the fallback |
 * | `pusher_ramp_decisions_total` | counter | `result` = admitted, booked, deferred, error | reconnect-ramp answers (booked = a slot ahead; error = ramp unreachable: admitted anyway) |
 * | `pusher_connection_losses_total` | counter | `reason` = closed, dropped, pong_timeout, send_failed | connections lost after they opened |
 * | `pusher_malformed_frames_total` | counter | `reason` = text_frame, short, unknown_opcode, bad_json, bad_shape | frames from pusher that break the protocol |
 */
export class PusherMetrics {
  readonly sessions: Gauge<'state'>;
  readonly reconnectAttempts: Counter<'result'>;
  readonly breakerRejections: Counter<string>;
  readonly queueDrops: Counter<'queue'>;
  readonly queueDroppedBytes: Counter<'queue'>;
  readonly conversationOutcomes: Counter<'via' | 'status'>;
  readonly conversationFallbacks: Counter<'reason'>;
  readonly rampDecisions: Counter<'result'>;
  readonly connectionLosses: Counter<'reason'>;
  readonly malformedFrames: Counter<'reason'>;
  /**
   * Audio chunks and bytes dropped since the counters were last collected. A degraded pod
   * drops every chunk its app sends (50 a second per session at 20 ms chunks): each is
   * counted here, in two additions, and added to `pusher_queue_drops_total` /
   * `pusher_queue_dropped_bytes_total` when they are read (their `collect`), not one
   * labelled prom-client increment (label hashing, an object) per chunk and counter.
   */
  #audioDrops = 0;
  #audioDroppedBytes = 0;
  /** False when the drop counters were registered by another copy of this package: no collect of ours, so add at once. */
  readonly #foldsAudioDrops: boolean;

  private constructor(registry: Registry) {
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      (registry.getSingleMetric(name) as Counter<L> | undefined) ??
      new Counter<L>({ name, help, labelNames, registers: [registry] });
    const metrics = this;
    const foldsAudioDrops =
      registry.getSingleMetric('pusher_queue_drops_total') === undefined &&
      registry.getSingleMetric('pusher_queue_dropped_bytes_total') === undefined;
    this.#foldsAudioDrops = foldsAudioDrops;
    this.sessions =
      (registry.getSingleMetric('pusher_sessions') as Gauge<'state'> | undefined) ??
      new Gauge({
        name: 'pusher_sessions',
        help: 'Pusher sessions by state',
        labelNames: ['state'],
        registers: [registry],
      });
    this.reconnectAttempts = counter('pusher_reconnect_attempts_total', 'Dials to pusher by result', ['result']);
    this.breakerRejections = counter(
      'pusher_circuit_breaker_rejections_total',
      'Dials to pusher not made because the cluster breaker did not allow them',
      [],
    );
    this.queueDrops = foldsAudioDrops
      ? new Counter({
          name: 'pusher_queue_drops_total',
          help: 'Items dropped instead of sent to pusher',
          labelNames: ['queue'],
          registers: [registry],
          collect() {
            metrics.#foldAudioDrops();
          },
        })
      : counter('pusher_queue_drops_total', 'Items dropped instead of sent to pusher', ['queue']);
    this.queueDroppedBytes = foldsAudioDrops
      ? new Counter({
          name: 'pusher_queue_dropped_bytes_total',
          help: 'Bytes dropped instead of sent to pusher',
          labelNames: ['queue'],
          registers: [registry],
          collect() {
            metrics.#foldAudioDrops();
          },
        })
      : counter('pusher_queue_dropped_bytes_total', 'Bytes dropped instead of sent to pusher', ['queue']);
    this.conversationOutcomes = counter(
      'pusher_conversation_outcomes_total',
      'Conversations ended, by path and by how they ended (only status="succeeded" was processed)',
      ['via', 'status'],
    );
    this.conversationFallbacks = counter(
      'pusher_conversation_fallbacks_total',
      'Conversations handed to the fallback, by reason',
      ['reason'],
    );
    this.rampDecisions = counter('pusher_ramp_decisions_total', 'Reconnect ramp answers', ['result']);
    this.connectionLosses = counter('pusher_connection_losses_total', 'Pusher connections lost after opening', [
      'reason',
    ]);
    this.malformedFrames = counter('pusher_malformed_frames_total', 'Malformed frames received from pusher', [
      'reason',
    ]);
  }

  /** One audio chunk of `bytes` dropped (hot path while degraded: two additions, see {@link #audioDrops}). */
  dropAudio(bytes: number): void {
    this.#audioDrops++;
    this.#audioDroppedBytes += bytes;
    if (!this.#foldsAudioDrops) this.#foldAudioDrops();
  }

  /** Adds the audio drops counted since the last read to the counters. */
  #foldAudioDrops(): void {
    if (this.#audioDrops > 0) this.queueDrops.inc({ queue: 'audio' }, this.#audioDrops);
    if (this.#audioDroppedBytes > 0) this.queueDroppedBytes.inc({ queue: 'audio' }, this.#audioDroppedBytes);
    this.#audioDrops = 0;
    this.#audioDroppedBytes = 0;
  }

  static #byRegistry = new WeakMap<Registry, PusherMetrics>();

  /** The pod's metrics on `registry`, created on first use. */
  static for(registry: Registry): PusherMetrics {
    let metrics = PusherMetrics.#byRegistry.get(registry);
    if (!metrics) {
      metrics = new PusherMetrics(registry);
      PusherMetrics.#byRegistry.set(registry, metrics);
    }
    return metrics;
  }
}
