/**
 * @breakwater/pusher-stand-in — a real WebSocket server speaking the pusher wire
 * protocol, with faults switchable at runtime. Private: for tests and the
 * incident replay, never for production.
 */
export {
  DEFAULT_CAPACITY,
  OVERLOAD_MODES,
  type OverloadMode,
  type PusherCapacity,
  type ResolvedCapacity,
} from './capacity.js';
export {
  type CapacitySecond,
  MAX_CAPACITY_SECONDS,
  type OverloadCause,
  type PusherCapacityStats,
} from './capacity-ledger.js';
export { FAULT_KINDS, type PusherFault, type PusherFaultKind } from './fault.js';
export {
  HANDSHAKE_LATENCY_BOUNDS_MS,
  type HandshakeLatencyStats,
  type HandshakeLatencySummary,
  type HandshakeSecond,
  latencyQuantile,
  MAX_HANDSHAKE_SECONDS,
} from './handshake-ledger.js';
export { PUSHER_PATH, PusherStandIn, type PusherStandInOptions } from './pusher-stand-in.js';
export type { PusherStandInStats } from './stand-in-stats.js';
export {
  conversationResultFrame,
  frame,
  MALFORMED_FRAMES,
  type MalformedKind,
  OPCODES,
  parseClientFrame,
  type ReceivedFrame,
} from './wire.js';
