import type { ProbeLease, RampAdmission } from '@breakwater/breaker-core';
import type { Logger } from 'pino';
import type { BreakerStateChange } from '../breaker/session-breaker.js';
import type { PusherMetrics } from '../metrics/pusher-metrics.js';
import { Sleeper } from '../time/sleeper.js';
import type { PusherConnection } from '../transport/pusher-connection.js';
import { askRamp, type RampAnswer } from './ask-ramp.js';
import { backoffDelay } from './backoff.js';
import { CurrentConnection, type LossReason } from './current-connection.js';
import type { DialedConnection } from './dial-pusher.js';
import type { ConnectionEnd } from './dial-verdict.js';
import type { ResolvedSessionOptions } from './session-options.js';
import type { SessionStateChange, SessionStatus } from './session-status.js';
import type { SessionWarnings } from './session-warnings.js';

/** A degraded session's probe comes after the cooldown plus up to this fraction of it, so probes spread. */
export const PROBE_SPREAD = 0.2;

export type { LossReason } from './current-connection.js';

/** What the loop tells its session. */
export interface ReconnectLoopHooks {
  opened(conn: PusherConnection): void;
  message(data: Buffer, isBinary: boolean): void;
  lost(reason: LossReason): void;
  statusChanged(change: SessionStateChange): void;
}

/**
 * The one reconnect loop of one session. Everything that dials lives here:
 * the single `setStatus()`, breaker gating (no dial unless `allow()`; in
 * half_open only the lease holder dials), the reconnect ramp, backoff, quick
 * retries and degraded probing; the connections themselves are its
 * {@link CurrentConnection}'s. Senders never dial: they call {@link markLost}, and this
 * loop decides what happens next.
 */
export class ReconnectLoop {
  readonly #options: ResolvedSessionOptions;
  readonly #metrics: PusherMetrics;
  readonly #log: Logger;
  readonly #warnings: SessionWarnings;
  readonly #hooks: ReconnectLoopHooks;
  readonly #current: CurrentConnection;
  readonly #sleeper: Sleeper;
  #status: SessionStatus = { value: 'idle' };
  #connectedAt = 0;
  #failuresAtConnect = 0;
  #loopRunning = false;
  #closing = false;
  #started: Promise<void> | undefined;
  #breakerSubscription: { dispose(): void } | undefined;
  /** The ramp's admission of a slot booked for a first connect (`ramp_wait`): the dial at the slot reports on it. */
  #bookedAdmission: RampAdmission | null = null;

  constructor(
    options: ResolvedSessionOptions,
    metrics: PusherMetrics,
    log: Logger,
    warnings: SessionWarnings,
    hooks: ReconnectLoopHooks,
  ) {
    this.#options = options;
    this.#metrics = metrics;
    this.#log = log;
    this.#warnings = warnings;
    this.#hooks = hooks;
    this.#sleeper = new Sleeper(options.clock);
    this.#current = new CurrentConnection(options, metrics, warnings, {
      message: (data, isBinary) => this.#hook('message', () => this.#hooks.message(data, isBinary)),
      lost: (reason, end) => this.#lost(reason, end),
      closing: () => this.#closing,
    });
    metrics.sessions.inc({ state: 'idle' });
  }

  get status(): SessionStatus {
    return this.#status;
  }

  /** The open connection, only while `connected`. */
  get connection(): PusherConnection | undefined {
    return this.#status.value === 'connected' ? this.#current.conn : undefined;
  }

  /**
   * First connect: the ramp (if any, bounded by `rampTimeoutMs`), then one dial bounded by
   * the full connect timeout, so it resolves within `rampTimeoutMs + connectTimeoutMs`; on
   * failure the session starts degraded, and if the ramp books a later slot it starts in
   * reconnect_backoff and dials at the slot. Calling it again returns the same promise.
   */
  start(): Promise<void> {
    if (this.#closing) return Promise.resolve();
    this.#started ??= this.#firstConnect();
    return this.#started;
  }

  async #firstConnect(): Promise<void> {
    try {
      await this.#firstConnectOrThrow();
    } catch (err) {
      // Never expected (a hook or an injected part broke its contract): no socket may
      // outlive it, and the session still starts, degraded.
      this.#log.error({ err }, 'pusher first connect failed; degrading');
      this.#current.closeAll(1011, 'client error');
      if (!this.#closing) this.#degrade(this.#failures(), 'start_error', false);
    }
  }

  async #firstConnectOrThrow(): Promise<void> {
    const breaker = this.#options.breaker;
    try {
      this.#breakerSubscription = breaker.onStateChange((e) => this.#onBreaker(e));
    } catch (err) {
      this.#log.warn({ err }, 'could not subscribe to breaker transitions; relying on the probe cooldown');
    }
    if (this.#refused()) return this.#degrade(0, `breaker_${breaker.state}`);
    const options = this.#options;
    this.#setStatus({ value: 'connecting', attempt: 1 }, 'start');
    // Pods restart together: without the ramp every session's first connect is one
    // unthrottled storm. A slot booked later is kept, not asked for again.
    const answer = await askRamp(options, this.#metrics, this.#warnings);
    if (this.#closing) return;
    if (!answer.ok || answer.delayMs > 0) {
      const retryAt = answer.ok ? options.clock.now() + answer.delayMs : this.#rampRetryAt(answer.retryAfterMs);
      this.#bookedAdmission = answer.ok ? answer.admission : null;
      this.#setStatus({ value: 'reconnect_backoff', failures: 0, retryAt, booked: answer.ok }, 'ramp_wait');
      return this.#ensureLoop();
    }
    if (this.#refused()) return this.#degrade(0, `breaker_${breaker.state}`);
    // The dial gets the whole connect timeout, whatever the ramp took to answer: on a loaded
    // pod a slow ramp answer must not leave a whole wave of first dials too little time to
    // open (they would time out together, and each timeout is a breaker failure).
    const dialed = await this.#current.dial(null, options.connectTimeoutMs, answer.admission);
    if (this.#closing) return;
    if (dialed) this.#connected(dialed, 0, 'connected');
    else if (this.#current.overload) this.#overloaded(1, 'first_connect_overloaded', this.#current.overload);
    else this.#degrade(1, 'first_connect_failed');
  }

  /**
   * pusher answered a dial "overloaded, retry after …" (503 or 429 with Retry-After): it is
   * up, so the session is not degraded for it (unless its attempts are used up), and it
   * dials again no sooner than pusher asked, nor than its backoff.
   */
  #overloaded(failures: number, cause: string, overload: { readonly retryAfterMs: number }): void {
    const options = this.#options;
    if (failures >= options.degradeAfterFailures || !options.breaker.allow()) {
      this.#degrade(failures, cause, false);
      return;
    }
    const retryAt = Math.max(this.#backoffAt(failures + 1), options.clock.now() + overload.retryAfterMs);
    this.#setStatus({ value: 'reconnect_backoff', failures, retryAt }, cause);
    this.#ensureLoop();
  }

  /** True (and counted) when the breaker does not allow a dial now. */
  #refused(): boolean {
    if (this.#options.breaker.allow()) return false;
    this.#metrics.breakerRejections.inc();
    return true;
  }

  /** When to ask a ramp that deferred us again: its retryAfterMs plus up to as much again, at random. */
  #rampRetryAt(retryAfterMs: number): number {
    return this.#options.clock.now() + retryAfterMs + Math.floor(this.#options.random() * retryAfterMs);
  }

  /**
   * Senders call this when the connection fails them; only the loop reconnects. A
   * send refused because the socket is closing is no loss (see {@link #lost}).
   */
  markLost(reason: LossReason): void {
    this.#lost(reason, 'abnormal');
  }

  /** Stops dialing; the open connection (if any) stays until {@link finishClose}. */
  beginClose(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#sleeper.wake();
    this.#current.stopDialing();
    this.#breakerSubscription?.dispose();
  }

  /** Closes the connection with 1000 and ends in `closed`. */
  finishClose(): void {
    this.beginClose();
    this.#current.closeAll(1000, 'session closed');
    this.#setStatus({ value: 'closed', since: this.#options.clock.now() }, 'close');
  }

  // ── state ──────────────────────────────────────────────────────────────────

  /** The single state setter: logs `from -> to`, moves the gauge, emits. Same-state updates are silent. */
  #setStatus(next: SessionStatus, cause: string): void {
    const prev = this.#status;
    if (prev.value === 'closed') return;
    this.#status = next;
    if (prev.value === next.value) return;
    // A closed session leaves the gauge: it counts live sessions, and a pod closes
    // thousands over its life.
    this.#metrics.sessions.dec({ state: prev.value });
    if (next.value !== 'closed') this.#metrics.sessions.inc({ state: next.value });
    this.#log.debug({ from: prev.value, to: next.value, cause }, `pusher session ${prev.value} -> ${next.value}`);
    const change = { from: prev.value, to: next.value, status: next, cause, at: this.#options.clock.now() };
    this.#hook('statusChanged', () => this.#hooks.statusChanged(change));
  }

  /**
   * Calls the session. A hook that throws is a bug in the session, never a reason
   * to lose the loop, a socket or the state: it is logged (folded) and contained.
   */
  #hook(name: keyof ReconnectLoopHooks, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#warnings.warn(`hook_${name}_threw`, { err }, `pusher session ${name} hook threw`);
    }
  }

  /** `probeNow`: in half_open, look for the lease at once (never right after a failed probe). */
  #degrade(failures: number, cause: string, probeNow = true): void {
    const now = this.#options.clock.now();
    const nextProbeAt = probeNow && this.#options.breaker.state === 'half_open' ? now : now + this.#probeDelay();
    const since = this.#status.value === 'degraded' ? this.#status.since : now;
    this.#setStatus({ value: 'degraded', failures, since, nextProbeAt }, cause);
    this.#ensureLoop();
  }

  #probeDelay(intervalMs = this.#options.degradedProbeIntervalMs): number {
    return Math.round(intervalMs * (1 + PROBE_SPREAD * this.#options.random()));
  }

  #onBreaker(e: BreakerStateChange): void {
    const s = this.#status;
    if (s.value !== 'degraded' || this.#closing) return;
    const recovering = e.to === 'closed' || e.to === 'forced_closed';
    if (!recovering && e.to !== 'half_open') return;
    // Recovery: spread the pod's sessions instead of all dialing on the same tick.
    const spread = recovering ? Math.floor(this.#options.random() * this.#options.recoverySpreadMs) : 0;
    const next = this.#options.clock.now() + spread;
    if (next >= s.nextProbeAt) return;
    this.#setStatus({ ...s, nextProbeAt: next }, `breaker_${e.to}`);
    this.#sleeper.wake();
  }

  // ── the loop ───────────────────────────────────────────────────────────────

  #ensureLoop(): void {
    if (this.#loopRunning || this.#closing) return;
    this.#loopRunning = true;
    void this.#loop().finally(() => {
      this.#loopRunning = false;
    });
  }

  async #loop(): Promise<void> {
    while (!this.#closing) {
      const s = this.#status;
      try {
        if (s.value === 'reconnect_backoff') {
          await this.#sleeper.until(s.retryAt);
          if (this.#closing) return;
          if (this.#status === s) await this.#reconnectAttempt(s.failures, s.booked === true);
        } else if (s.value === 'degraded') {
          await this.#sleeper.until(s.nextProbeAt);
          if (this.#closing) return;
          if (this.#status === s) await this.#degradedWake(s);
        } else {
          return;
        }
      } catch (err) {
        // Never expected; never let the loop die with the session stuck, nor a socket
        // it just opened stay open behind a session that no longer thinks it is connected.
        this.#log.error({ err }, 'pusher reconnect loop failed; degrading');
        this.#current.closeAll(1011, 'client error');
        if (!this.#closing) this.#degrade(this.#failures(), 'loop_error', false);
      }
    }
  }

  #failures(): number {
    const s = this.#status;
    return 'failures' in s ? s.failures : 0;
  }

  /**
   * Waits for a slot the ramp booked `delayMs` ahead, without asking again (a breaker
   * event may wake the loop early: it sleeps again until the slot). False if closing.
   */
  async #waitForSlot(delayMs: number): Promise<boolean> {
    const at = this.#options.clock.now() + delayMs;
    while (!this.#closing && this.#options.clock.now() < at) await this.#sleeper.until(at);
    return !this.#closing;
  }

  /**
   * One attempt out of reconnect_backoff: breaker, ramp (unless `booked`: the ramp
   * already gave this attempt its slot), then up to 1 + quickRetries dials — but none
   * after pusher answers "overloaded": the attempt ends there, and the next waits for
   * its Retry-After. The ramp hears how the first dial went (it admitted the attempt).
   */
  async #reconnectAttempt(failures: number, booked: boolean): Promise<void> {
    const options = this.#options;
    const breaker = options.breaker;
    const bookedAdmission = this.#bookedAdmission;
    this.#bookedAdmission = null;
    if (this.#refused()) return this.#degrade(failures, `breaker_${breaker.state}`);
    const answer: RampAnswer = booked
      ? { ok: true, delayMs: 0, admission: bookedAdmission }
      : await askRamp(options, this.#metrics, this.#warnings);
    if (this.#closing) return;
    if (!answer.ok) {
      const retryAt = this.#rampRetryAt(answer.retryAfterMs);
      return this.#setStatus({ value: 'reconnect_backoff', failures, retryAt }, 'ramp_deferred');
    }
    if (!(await this.#waitForSlot(answer.delayMs))) return;
    if (this.#refused()) return this.#degrade(failures, `breaker_${breaker.state}`);
    for (let i = 0; i <= options.quickRetries; i++) {
      if (i > 0) {
        await this.#sleeper.until(
          options.clock.now() +
            backoffDelay(i, options.quickRetryBaseMs, options.quickRetryMaxMs, options.backoffJitter, options.random),
        );
        if (this.#closing) return;
        if (this.#refused()) return this.#degrade(failures + 1, `breaker_${breaker.state}`);
      }
      this.#setStatus({ value: 'connecting', attempt: failures + 1 }, 'reconnect');
      const dialed = await this.#current.dial(null, options.connectTimeoutMs, i === 0 ? answer.admission : null);
      if (this.#closing) return;
      if (dialed) {
        this.#connected(dialed, failures, 'reconnected');
        return;
      }
      const overload = this.#current.overload;
      if (overload) return this.#overloaded(failures + 1, 'overloaded', overload);
    }
    const n = failures + 1;
    if (n >= options.degradeAfterFailures || !breaker.allow()) {
      this.#degrade(n, n >= options.degradeAfterFailures ? 'attempts_exhausted' : `breaker_${breaker.state}`);
      return;
    }
    this.#setStatus({ value: 'reconnect_backoff', failures: n, retryAt: this.#backoffAt(n + 1) }, 'attempt_failed');
  }

  /** A degraded session's wake-up: probe under the lease, or (breaker closed) through the ramp. */
  async #degradedWake(s: Extract<SessionStatus, { value: 'degraded' }>): Promise<void> {
    const options = this.#options;
    const breaker = options.breaker;
    const later = (cause: string) =>
      this.#setStatus({ ...s, nextProbeAt: options.clock.now() + this.#probeDelay() }, cause);
    if (breaker.state === 'half_open') {
      // Every degraded session of the pod may ask: the breaker grants the pod at most
      // one lease, until it is reported or expires. One granted to a session that is
      // closing meanwhile is never reported, so it expires and another pod can probe.
      const lease = await this.#acquireProbe();
      if (this.#closing) return;
      if (!lease) {
        // Another pod holds it. If that pod dies, its lease lapses with no transition to wake
        // us: ask again within about a lease's length, not a whole probe interval.
        const { leaseRetryMs, degradedProbeIntervalMs } = options;
        const delay = this.#probeDelay(Math.min(leaseRetryMs, degradedProbeIntervalMs));
        return this.#setStatus({ ...s, nextProbeAt: options.clock.now() + delay }, 'no_lease');
      }
      this.#setStatus({ value: 'half_open_probe', failures: s.failures, lease: true }, 'lease_granted');
      const dialed = await this.#current.dial(lease);
      if (this.#closing) return;
      if (dialed) this.#connected(dialed, s.failures, 'probe_succeeded');
      else this.#degrade(s.failures + 1, 'probe_failed', false);
      return;
    }
    if (this.#refused()) return later(`breaker_${breaker.state}`);
    const answer = await askRamp(options, this.#metrics, this.#warnings);
    if (this.#closing || this.#status !== s) return;
    if (!answer.ok)
      return this.#setStatus({ ...s, nextProbeAt: this.#rampRetryAt(answer.retryAfterMs) }, 'ramp_deferred');
    if (!(await this.#waitForSlot(answer.delayMs)) || this.#status !== s) return;
    if (this.#refused()) return later(`breaker_${breaker.state}`);
    this.#setStatus({ value: 'half_open_probe', failures: s.failures, lease: false }, 'probe');
    const dialed = await this.#current.dial(null, options.connectTimeoutMs, answer.admission);
    if (this.#closing) return;
    if (dialed) this.#connected(dialed, s.failures, 'probe_succeeded');
    else if (this.#current.overload) this.#overloaded(s.failures + 1, 'probe_overloaded', this.#current.overload);
    else this.#degrade(s.failures + 1, 'probe_failed', false);
  }

  // ── connections ────────────────────────────────────────────────────────────

  /** The half-open lease, or null. Never rejects: `acquireProbe()` is contracted not to, and if it does anyway it is logged. */
  async #acquireProbe(): Promise<ProbeLease | null> {
    try {
      return await this.#options.breaker.acquireProbe();
    } catch (err) {
      this.#warnings.warn('acquire_probe_failed', { err }, 'acquireProbe rejected (contract: never)');
      return null;
    }
  }

  #connected(dialed: DialedConnection, failuresBefore: number, cause: string): void {
    // Died before it could be used: a failed attempt, not a connection.
    if (!this.#current.take(dialed)) {
      this.#afterLoss(failuresBefore + 1, 'dropped', false);
      return;
    }
    this.#connectedAt = this.#options.clock.now();
    this.#failuresAtConnect = failuresBefore;
    this.#setStatus({ value: 'connected', since: this.#connectedAt }, cause);
    this.#hook('opened', () => this.#hooks.opened(dialed.conn));
  }

  /** What the breaker hears of the loss, the dial's verdict decides ({@link CurrentConnection.release}). */
  #lost(reason: LossReason, end: ConnectionEnd): void {
    if (this.#status.value !== 'connected') return;
    // A closing socket (pusher's close frame arrived: a deploy's 1001; or the socket
    // failed) refuses every send until its close event, which says how it ended and
    // is the loss. A send refused meanwhile is a drop, not a failed connection:
    // called one, every streaming session of a pusher pod that shuts down cleanly
    // would record a failure, and a rolling deploy would trip the breaker.
    if (reason === 'send_failed' && this.#current.closing) return;
    const released = this.#current.release(reason, end);
    if (!released) return;
    this.#hook('lost', () => this.#hooks.lost(reason));
    if (this.#closing) return;
    this.#warnings.warn(`connection_${reason}`, { reason }, `pusher connection lost (${reason})`);
    const stable = this.#options.clock.now() - this.#connectedAt >= this.#options.stableConnectionMs;
    this.#afterLoss(stable ? 0 : this.#failuresAtConnect + 1, reason, released.proven);
  }

  /** `probeNow`: false when the lost connection never proved itself (never re-probe at once). */
  #afterLoss(failures: number, cause: string, probeNow: boolean): void {
    const options = this.#options;
    if (failures >= options.degradeAfterFailures || !options.breaker.allow()) {
      this.#degrade(failures, cause, probeNow);
      return;
    }
    this.#setStatus({ value: 'reconnect_backoff', failures, retryAt: this.#backoffAt(failures + 1) }, cause);
    this.#ensureLoop();
  }

  /** When attempt `n` (1-based) may start: its backoff from now. */
  #backoffAt(n: number): number {
    const options = this.#options;
    return (
      options.clock.now() +
      backoffDelay(n, options.backoffBaseMs, options.backoffMaxMs, options.backoffJitter, options.random)
    );
  }
}
