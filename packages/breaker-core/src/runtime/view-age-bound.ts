/**
 * What a pod promises about its view of the shared breaker, from its options
 * (documented in the README: "How fresh a pod's view is"). Every store call
 * ends within `commandTimeoutMs` when Redis answers in time; one that does not
 * is timed out after `commandTimeoutMs` and a loop turn, or (a held event loop
 * given back its time) at most `2 × commandTimeoutMs` plus the time it was held.
 */
export interface ViewTimingOptions {
  readonly resyncIntervalMs: number;
  readonly commandTimeoutMs: number;
}

/**
 * The most a pod's view can age (`breakwater_breaker_view_age_seconds`) while
 * its Redis connection answers within `commandTimeoutMs`, on a pod whose event
 * loop runs on time: a resync starts at least every `resyncIntervalMs` after
 * the last confirmation, and confirms within two calls (a snapshot, and a
 * registration when Redis lost the breaker), each answered within the deadline.
 */
export function viewAgeBoundMs(o: ViewTimingOptions): number {
  return o.resyncIntervalMs + 2 * o.commandTimeoutMs;
}

/**
 * How soon a pod whose Redis stops answering is on its local breaker, on a pod
 * whose event loop runs on time (plus one loop turn): its next resync is at most
 * `resyncIntervalMs` away, and that call (or one already in flight) times out
 * `commandTimeoutMs` after it was sent. A refused or closed connection fails the
 * next call at once.
 */
export function fallbackWithinMs(o: ViewTimingOptions): number {
  return o.resyncIntervalMs + o.commandTimeoutMs;
}

/**
 * How long a resync may run before the periodic tick abandons it and starts
 * another: longer than its calls can take (two, each timed out within
 * `2 × commandTimeoutMs`), so only one that cannot end (a bug, a store that
 * loses promises) is abandoned.
 */
export function resyncDeadlineMs(o: ViewTimingOptions): number {
  return 4 * o.commandTimeoutMs;
}
