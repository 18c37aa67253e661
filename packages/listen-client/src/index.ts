/**
 * @breakwater/listen-client — what a listen pod imports for each live session's
 * connection to pusher: the wire codec, one calm reconnect loop per session gated
 * by the cluster breaker and the reconnect ramp, and a degraded mode in which no
 * app call blocks or throws and no conversation is lost.
 */

export type { BreakerStateChange, SessionBreaker } from './breaker/session-breaker.js';
export {
  ConversationFallback,
  type ConversationFallbackOptions,
  DEFAULT_CONVERSATION_FALLBACK_OPTIONS,
  type FallbackHandler,
} from './conversation/conversation-fallback.js';
export {
  type ConversationOutcome,
  FALLBACK_REASONS,
  type FallbackReason,
  type FallbackResult,
  OUTCOME_STATUSES,
  type OutcomeStatus,
} from './conversation/conversation-outcome.js';
export {
  LegacyPusherSession,
  type LegacyPusherSessionOptions,
  type LegacyStats,
} from './legacy/legacy-pusher-session.js';
export { PusherMetrics } from './metrics/pusher-metrics.js';
export {
  type ConversationResult,
  type DecodedFrame,
  decodeServerFrame,
  encodeConversationResult,
  type MalformedReason,
} from './protocol/decode.js';
export {
  type ConversationRequest,
  encodeAudio,
  encodeConversationId,
  encodeHeartbeat,
  encodeProcessConversation,
  encodeSpeakerSample,
  encodeTranscript,
  MAX_ID_LENGTH,
  type SpeakerSample,
} from './protocol/encode.js';
export { HEADER_BYTES, Opcode } from './protocol/opcode.js';
export { backoffDelay } from './session/backoff.js';
export { PusherSession, type PusherSessionStats, REPLAY_BATCH } from './session/pusher-session.js';
export { PROBE_SPREAD } from './session/reconnect-loop.js';
export {
  DEFAULT_PUSHER_SESSION_OPTIONS,
  listenUrl,
  type PusherSessionOptions,
} from './session/session-options.js';
export {
  SESSION_STATES,
  type SessionState,
  type SessionStateChange,
  type SessionStatus,
} from './session/session-status.js';
export { ManualScheduler } from './time/manual-scheduler.js';
export { type Scheduler, systemScheduler, type TimerHandle } from './time/scheduler.js';
export type {
  ConnectionEvents,
  DialAttempt,
  DialOptions,
  PusherConnection,
  PusherDialer,
} from './transport/pusher-connection.js';
export { DEFAULT_USER_AGENT, MAX_USER_AGENT_LENGTH } from './transport/user-agent.js';
export { MAX_INBOUND_FRAME_BYTES, wsDialer } from './transport/ws-dialer.js';
export { VERSION } from './version.js';
