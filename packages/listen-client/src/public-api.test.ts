import { expect, it } from 'vitest';
import { publicApi } from '../../../scripts/public-api.js';

/**
 * Everything @breakwater/listen-client exports, per entry of its package.json
 * `exports`: runtime names (`values`) and type-only names (`types`). A change
 * here is a change to what users can import: decide it, note it in README.md.
 */
const PUBLIC_API = {
  '.': {
    values: [
      'ConversationFallback',
      'DEFAULT_CONVERSATION_FALLBACK_OPTIONS',
      'DEFAULT_PUSHER_SESSION_OPTIONS',
      'DEFAULT_USER_AGENT',
      'FALLBACK_REASONS',
      'MAX_USER_AGENT_LENGTH',
      'OUTCOME_STATUSES',
      'PusherSession',
      'SESSION_STATES',
      'UpgradeRejectedError',
      'VERSION',
      'isUpgradeRejectedError',
      'systemScheduler',
      'wsDialer',
    ],
    types: [
      'BreakerStateChange',
      'ConnectionEvents',
      'ConversationFallbackOptions',
      'ConversationOutcome',
      'ConversationRequest',
      'DialAttempt',
      'DialOptions',
      'FallbackHandler',
      'FallbackReason',
      'FallbackResult',
      'OutcomeStatus',
      'PusherConnection',
      'PusherDialer',
      'PusherSessionOptions',
      'PusherSessionStats',
      'Scheduler',
      'SessionBreaker',
      'SessionState',
      'SessionStateChange',
      'SessionStatus',
      'SpeakerSample',
      'TimerHandle',
    ],
  },
  './protocol': {
    values: [
      'HEADER_BYTES',
      'MAX_ID_LENGTH',
      'Opcode',
      'decodeServerFrame',
      'encodeAudio',
      'encodeConversationId',
      'encodeConversationResult',
      'encodeHeartbeat',
      'encodeProcessConversation',
      'encodeSpeakerSample',
      'encodeTranscript',
      'listenUrl',
    ],
    types: ['ConversationRequest', 'ConversationResult', 'DecodedFrame', 'MalformedReason', 'SpeakerSample'],
  },
  './testing': {
    values: ['FakeBreaker', 'FakeConnection', 'FakeDialer', 'ManualScheduler'],
    types: ['PendingDial'],
  },
  './legacy': {
    values: ['LegacyPusherSession'],
    types: ['LegacyPusherSessionOptions', 'LegacyStats'],
  },
};

it('exports exactly the pinned names from each entry', async () => {
  expect(await publicApi(new URL('../', import.meta.url))).toEqual(PUBLIC_API);
}, 60_000);
