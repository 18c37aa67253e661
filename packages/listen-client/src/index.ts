/**
 * @breakwater/listen-client — what a listen pod imports for each live session's
 * connection to pusher: one calm reconnect loop per session gated by the cluster
 * breaker and the reconnect ramp, and a degraded mode in which no app call
 * blocks or throws and no conversation is lost.
 *
 * The root is what an application needs: `PusherSession`, `ConversationFallback`,
 * their options, defaults, states and outcomes, and the seams it may replace (the
 * breaker, the scheduler, the dialer). Other entries: `/protocol` (the wire
 * codec), `/testing` (a manual clock and fakes for tests), `/legacy` (the pre-fix
 * client, for the incident replay only). `src/public-api.test.ts` pins them.
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
// What processConversation() and sendSpeakerSample() take; the rest of the codec is in /protocol.
export type { ConversationRequest, SpeakerSample } from './protocol/encode.js';
export { PusherSession, type PusherSessionStats } from './session/pusher-session.js';
export { DEFAULT_PUSHER_SESSION_OPTIONS, type PusherSessionOptions } from './session/session-options.js';
export {
  SESSION_STATES,
  type SessionState,
  type SessionStateChange,
  type SessionStatus,
} from './session/session-status.js';
export { type Scheduler, systemScheduler, type TimerHandle } from './time/scheduler.js';
export type {
  ConnectionEvents,
  DialAttempt,
  DialOptions,
  PusherConnection,
  PusherDialer,
} from './transport/pusher-connection.js';
export { isUpgradeRejectedError, UpgradeRejectedError } from './transport/upgrade-rejected-error.js';
export { DEFAULT_USER_AGENT, MAX_USER_AGENT_LENGTH } from './transport/user-agent.js';
export { wsDialer } from './transport/ws-dialer.js';
export { VERSION } from './version.js';
