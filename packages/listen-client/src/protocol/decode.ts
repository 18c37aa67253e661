import { HEADER_BYTES, Opcode } from './opcode.js';

/** pusher's answer to a 104 (opcode 201). */
export type ConversationResult =
  | { readonly conversationId: string; readonly success: true }
  | { readonly conversationId: string; readonly success: false; readonly error: string };

/** Why a frame from pusher was refused. Counted by reason, never thrown. */
export type MalformedReason = 'text_frame' | 'short' | 'unknown_opcode' | 'bad_json' | 'bad_shape';

export type DecodedFrame =
  | { readonly ok: true; readonly opcode: typeof Opcode.ConversationResult; readonly result: ConversationResult }
  | { readonly ok: false; readonly reason: MalformedReason; readonly detail: string };

/**
 * Decodes one frame from pusher. Never throws: a malformed frame comes back as
 * `{ ok: false, reason }` for the session to count and log.
 */
export function decodeServerFrame(data: Uint8Array, isBinary = true): DecodedFrame {
  if (!isBinary) return { ok: false, reason: 'text_frame', detail: 'pusher sends binary frames only' };
  if (data.byteLength < HEADER_BYTES) {
    return { ok: false, reason: 'short', detail: `${data.byteLength} bytes, no room for an opcode` };
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const opcode = buf.readUInt32LE(0);
  if (opcode !== Opcode.ConversationResult) {
    return { ok: false, reason: 'unknown_opcode', detail: `opcode ${opcode}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(buf.subarray(HEADER_BYTES).toString('utf8'));
  } catch {
    return { ok: false, reason: 'bad_json', detail: '201 payload is not JSON' };
  }
  if (typeof body !== 'object' || body === null)
    return { ok: false, reason: 'bad_shape', detail: '201 payload is not an object' };
  const b = body as Record<string, unknown>;
  if (typeof b.conversation_id !== 'string' || b.conversation_id.length === 0) {
    return { ok: false, reason: 'bad_shape', detail: '201 without conversation_id' };
  }
  if (b.success === true && b.error === undefined) {
    return {
      ok: true,
      opcode: Opcode.ConversationResult,
      result: { conversationId: b.conversation_id, success: true },
    };
  }
  if (typeof b.error === 'string') {
    return {
      ok: true,
      opcode: Opcode.ConversationResult,
      result: { conversationId: b.conversation_id, success: false, error: b.error },
    };
  }
  return { ok: false, reason: 'bad_shape', detail: '201 with neither success:true nor an error string' };
}

/** Encodes a 201 (for stand-ins and tests; listen never sends one). */
export function encodeConversationResult(result: ConversationResult): Buffer {
  const body = result.success
    ? { conversation_id: result.conversationId, success: true }
    : { conversation_id: result.conversationId, error: result.error };
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32LE(Opcode.ConversationResult, 0);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}
