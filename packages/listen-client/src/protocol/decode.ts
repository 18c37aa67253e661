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
 * `{ ok: false, reason }` for the session to count and log. Lenient where
 * pusher's own serializers are: an optional field that is `null` is absent.
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
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, reason: 'bad_shape', detail: '201 payload is not an object' };
  return conversationResult(body as Record<string, unknown>);
}

/**
 * An optional field of a server frame: `null` means absent. pusher's serializers
 * (Python models with optional fields) write an absent value as `null`, e.g. a
 * success as `{"conversation_id": "c", "success": true, "error": null}`.
 */
function optional(value: unknown): unknown {
  return value === null ? undefined : value;
}

/** A 201's body: `conversation_id` required; `success` and `error` optional (null = absent). */
function conversationResult(b: Record<string, unknown>): DecodedFrame {
  const conversationId = b.conversation_id;
  if (typeof conversationId !== 'string' || conversationId.length === 0) {
    return { ok: false, reason: 'bad_shape', detail: '201 without a conversation_id string' };
  }
  const success = optional(b.success);
  const error = optional(b.error);
  if (error !== undefined && typeof error !== 'string') {
    return {
      ok: false,
      reason: 'bad_shape',
      detail: `201 error is ${shown(error)}, expected a string, null or absent`,
    };
  }
  if (typeof error === 'string') {
    return { ok: true, opcode: Opcode.ConversationResult, result: { conversationId, success: false, error } };
  }
  if (success === true) {
    return { ok: true, opcode: Opcode.ConversationResult, result: { conversationId, success: true } };
  }
  return {
    ok: false,
    reason: 'bad_shape',
    detail: `201 with neither success:true nor an error string (success: ${shown(success)})`,
  };
}

/** A JSON value, briefly, for a malformed frame's detail. */
function shown(value: unknown): string {
  if (value === undefined) return 'absent';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
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
