/**
 * Opcodes of the pusher wire protocol. Every message is one binary WebSocket
 * frame: a 4-byte little-endian uint32 opcode, then the payload.
 *
 * | opcode | direction | payload |
 * |---|---|---|
 * | 100 | listen → pusher | none: heartbeat (load balancers count data frames, not pings) |
 * | 101 | listen → pusher | float64 LE buffer start time (s), then PCM16 LE mono audio |
 * | 102 | listen → pusher | UTF-8 JSON `{"segments":[…],"memory_id":"…"}` |
 * | 103 | listen → pusher | UTF-8 conversation id (raw, not JSON), sent when it changes |
 * | 104 | listen → pusher | UTF-8 JSON `{"conversation_id","language",…}`: process this conversation |
 * | 105 | listen → pusher | UTF-8 JSON `{"person_id","conversation_id","segment_ids"}` |
 * | 201 | pusher → listen | UTF-8 JSON `{"conversation_id","success":true}` or `{"conversation_id","error":"…"}` |
 */
export const Opcode = Object.freeze({
  Heartbeat: 100,
  Audio: 101,
  Transcript: 102,
  ConversationId: 103,
  ProcessConversation: 104,
  SpeakerSample: 105,
  ConversationResult: 201,
} as const);

export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Bytes before the payload. */
export const HEADER_BYTES = 4;
