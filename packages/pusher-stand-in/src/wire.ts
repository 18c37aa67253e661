/**
 * The pusher wire protocol as pusher sees it, written independently of
 * listen-client's codec so the stand-in checks the client instead of sharing its
 * bugs. Every message is one binary frame: uint32 LE opcode, then the payload.
 */
export const OPCODES = Object.freeze({
  heartbeat: 100,
  audio: 101,
  transcript: 102,
  conversationId: 103,
  processConversation: 104,
  speakerSample: 105,
  conversationResult: 201,
});

/** A frame from listen, as the stand-in understood it. */
export type ReceivedFrame =
  | { readonly opcode: 100 }
  | { readonly opcode: 101; readonly startTime: number; readonly audioBytes: number }
  | { readonly opcode: 102; readonly segments: number; readonly memoryId: string | null }
  | { readonly opcode: 103; readonly conversationId: string }
  | { readonly opcode: 104; readonly conversationId: string }
  | { readonly opcode: 105; readonly personId: string; readonly conversationId: string; readonly segmentIds: number }
  | { readonly opcode: 'malformed'; readonly reason: string };

export function parseClientFrame(data: Buffer): ReceivedFrame {
  if (data.length < 4) return { opcode: 'malformed', reason: 'short' };
  const opcode = data.readUInt32LE(0);
  const payload = data.subarray(4);
  switch (opcode) {
    case 100:
      return payload.length === 0 ? { opcode } : { opcode: 'malformed', reason: 'heartbeat with a payload' };
    case 101:
      if (payload.length < 8) return { opcode: 'malformed', reason: 'audio without a start time' };
      return { opcode, startTime: payload.readDoubleLE(0), audioBytes: payload.length - 8 };
    case 102: {
      const json = parseJson(payload);
      if (!json || !Array.isArray(json.segments)) return { opcode: 'malformed', reason: 'transcript without segments' };
      return {
        opcode,
        segments: json.segments.length,
        memoryId: typeof json.memory_id === 'string' ? json.memory_id : null,
      };
    }
    case 103: {
      const id = payload.toString('utf8');
      return id.length > 0 ? { opcode, conversationId: id } : { opcode: 'malformed', reason: 'empty conversation id' };
    }
    case 104: {
      const json = parseJson(payload);
      if (!json || typeof json.conversation_id !== 'string' || json.conversation_id.length === 0) {
        return { opcode: 'malformed', reason: 'process request without conversation_id' };
      }
      return { opcode, conversationId: json.conversation_id };
    }
    case 105: {
      const json = parseJson(payload);
      if (
        !json ||
        typeof json.person_id !== 'string' ||
        typeof json.conversation_id !== 'string' ||
        !Array.isArray(json.segment_ids)
      ) {
        return { opcode: 'malformed', reason: 'speaker sample without person_id, conversation_id, segment_ids' };
      }
      return {
        opcode,
        personId: json.person_id,
        conversationId: json.conversation_id,
        segmentIds: json.segment_ids.length,
      };
    }
    default:
      return { opcode: 'malformed', reason: `unknown opcode ${opcode}` };
  }
}

/** A 201 frame: pusher's answer to a 104. */
export function conversationResultFrame(body: { conversation_id: string; success?: true; error?: string }): Buffer {
  return frame(201, Buffer.from(JSON.stringify(body), 'utf8'));
}

export function frame(opcode: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(opcode, 0);
  return Buffer.concat([header, payload]);
}

/** Frames a broken pusher might send, one per kind of breakage. */
export const MALFORMED_FRAMES = Object.freeze({
  short: () => Buffer.from([0xc9, 0x00]),
  unknownOpcode: () => frame(999, Buffer.from('{}')),
  badJson: () => frame(201, Buffer.from('{"conversation_id": ')),
  wrongShape: () => frame(201, Buffer.from('{"success": true}')),
});

export type MalformedKind = keyof typeof MALFORMED_FRAMES;

function parseJson(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(payload.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
