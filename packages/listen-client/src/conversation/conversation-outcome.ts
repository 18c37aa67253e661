/** Why a conversation went to the fallback instead of pusher. */
export type FallbackReason =
  /** The session was degraded (pusher unreachable) when asked, or became so while waiting. */
  | 'degraded'
  /** The cluster breaker did not allow pusher calls. */
  | 'breaker_open'
  /** pusher did not answer within `conversationTimeoutMs`. */
  | 'timeout'
  /** pusher answered with an error. */
  | 'pusher_error'
  /** The session was closed before pusher answered. */
  | 'closed'
  /** Too many conversations were waiting on this session (`maxPendingConversations`). */
  | 'overloaded';

export const FALLBACK_REASONS: readonly FallbackReason[] = [
  'degraded',
  'breaker_open',
  'timeout',
  'pusher_error',
  'closed',
  'overloaded',
];

/** How the fallback handler's run ended. */
export type FallbackResult =
  | { readonly status: 'succeeded'; readonly result: unknown }
  | { readonly status: 'failed'; readonly error: string }
  /** Ran past the fallback's `timeoutMs` (its signal aborted); it may or may not have done its work. */
  | { readonly status: 'timed_out' }
  /** Not run: the fallback's queue was full. */
  | { readonly status: 'rejected'; readonly error: string }
  /** Not run: no slot came free within the fallback's `maxQueueWaitMs`. */
  | { readonly status: 'expired'; readonly error: string };

/** How a run ended, or `succeeded` for a conversation pusher processed: the `status` label of the outcome counter. */
export type OutcomeStatus = FallbackResult['status'];

export const OUTCOME_STATUSES: readonly OutcomeStatus[] = ['succeeded', 'failed', 'timed_out', 'rejected', 'expired'];

/**
 * The one outcome of one conversation id. `processed` says whether anything
 * processed it: true via pusher, or via the fallback when its handler succeeded;
 * false when the fallback failed, timed out, was full or expired — the caller must
 * keep the conversation and retry (after `timed_out` the handler may still have
 * done its work: retry idempotently).
 */
export type ConversationOutcome =
  | { readonly via: 'pusher'; readonly conversationId: string; readonly processed: true }
  | ({
      readonly via: 'fallback';
      readonly conversationId: string;
      readonly reason: FallbackReason;
      readonly processed: boolean;
      /** pusher's error text when `reason` is `pusher_error`. */
      readonly pusherError?: string;
    } & FallbackResult);
