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

/** The one outcome of one conversation id. */
export type ConversationOutcome =
  | { readonly via: 'pusher'; readonly conversationId: string }
  | ({
      readonly via: 'fallback';
      readonly conversationId: string;
      readonly reason: FallbackReason;
      /** pusher's error text when `reason` is `pusher_error`. */
      readonly pusherError?: string;
    } & FallbackResult);
