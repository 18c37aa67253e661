/**
 * The ways pusher died in the incident, and a few more, switchable at runtime
 * with {@link PusherStandIn.setFault}. Each is injected for real on real sockets.
 */
export type PusherFault =
  /** Healthy: answers pings, answers every 104 with a 201 success. */
  | { readonly kind: 'none' }
  /** Every TCP connection is counted, then reset before the handshake (the client sees ECONNRESET). */
  | { readonly kind: 'refuse' }
  /** The upgrade is refused with an HTTP status (default 503), like an overloaded load balancer. */
  | { readonly kind: 'reject'; readonly status?: number }
  /**
   * Connections are accepted, then nothing: no pongs, no answers; frames are counted, not processed.
   * Applies to live connections too. With `stallHandshakes`, new handshakes are never answered
   * either (the TCP connection is accepted and held): a pusher whose process is stuck.
   */
  | { readonly kind: 'hang'; readonly stallHandshakes?: boolean }
  /** Connections are accepted, then closed at once with `code` (default 1011, internal error). */
  | { readonly kind: 'close'; readonly code?: number }
  /** The handshake is answered only after `delayMs` (set it above the client's connect timeout). */
  | { readonly kind: 'slow_accept'; readonly delayMs: number }
  /** Every 104 is answered with `{"conversation_id","error"}`. */
  | { readonly kind: 'process_error'; readonly error?: string }
  /** Each connection is destroyed without a close frame after it has sent `afterFrames` more frames. */
  | { readonly kind: 'drop_mid_stream'; readonly afterFrames: number }
  /** Every 104 is answered with malformed frames (short, unknown opcode, bad JSON, wrong shape) and no 201. */
  | { readonly kind: 'malformed' }
  /**
   * A pusher pod shutting down cleanly, as on every deploy (what Python websockets'
   * `server.close()` does): every live connection is sent a 1001 "going away" close
   * frame, and so is every new one as soon as it is accepted. With `holdClose`, the
   * stand-in then reads nothing more from those connections until the fault changes,
   * so the close handshake, and the client's `close` event, wait: meanwhile the
   * client's socket is CLOSING and refuses sends, as with a pod slow to finish (ws's
   * 30 s close timeout ends the wait at the latest).
   */
  | { readonly kind: 'going_away'; readonly holdClose?: boolean };

export type PusherFaultKind = PusherFault['kind'];

export const FAULT_KINDS: readonly PusherFaultKind[] = [
  'none',
  'refuse',
  'reject',
  'hang',
  'close',
  'slow_accept',
  'process_error',
  'drop_mid_stream',
  'malformed',
  'going_away',
];

/** Checks a fault given at runtime; throws a RangeError naming the bad field. */
export function checkFault(fault: PusherFault): PusherFault {
  if (typeof fault !== 'object' || fault === null || !FAULT_KINDS.includes(fault.kind)) {
    throw new RangeError(`fault.kind: expected one of ${FAULT_KINDS.join(', ')}, got ${JSON.stringify(fault)}`);
  }
  const nonNegativeInteger = (field: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new RangeError(`fault.${field}: expected a non-negative integer, got ${String(value)}`);
    }
  };
  if (fault.kind === 'hang' && fault.stallHandshakes !== undefined && typeof fault.stallHandshakes !== 'boolean') {
    throw new RangeError(`fault.stallHandshakes: expected a boolean, got ${String(fault.stallHandshakes)}`);
  }
  if (fault.kind === 'going_away' && fault.holdClose !== undefined && typeof fault.holdClose !== 'boolean') {
    throw new RangeError(`fault.holdClose: expected a boolean, got ${String(fault.holdClose)}`);
  }
  if (fault.kind === 'slow_accept') nonNegativeInteger('delayMs', fault.delayMs);
  if (fault.kind === 'drop_mid_stream') nonNegativeInteger('afterFrames', fault.afterFrames);
  if (fault.kind === 'close' && fault.code !== undefined) {
    if (
      !Number.isInteger(fault.code) ||
      fault.code < 1000 ||
      fault.code > 4999 ||
      fault.code === 1005 ||
      fault.code === 1006
    ) {
      throw new RangeError(`fault.code: expected a sendable close code (1000–4999, not 1005/1006), got ${fault.code}`);
    }
  }
  if (fault.kind === 'reject' && fault.status !== undefined) {
    if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) {
      throw new RangeError(`fault.status: expected an HTTP error status 400–599, got ${fault.status}`);
    }
  }
  return fault;
}
