/**
 * @breakwater/listen-client/protocol — the pusher wire codec: one binary frame
 * per message, a uint32 LE opcode then the payload (see README.md, "The wire
 * protocol"), and the URL a session dials. For tools that speak to pusher or
 * stand in for it; a session encodes and decodes by itself.
 */

// The listen URL: `{pusherUrl}/v1/trigger/listen?uid=…&sample_rate=…`.
export { listenUrl } from '../session/session-options.js';
export {
  type ConversationResult,
  type DecodedFrame,
  decodeServerFrame,
  encodeConversationResult,
  type MalformedReason,
} from './decode.js';
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
} from './encode.js';
export { HEADER_BYTES, Opcode } from './opcode.js';
