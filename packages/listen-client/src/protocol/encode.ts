import { InvalidArgumentError } from '@breakwater/breaker-core';
import { HEADER_BYTES, Opcode } from './opcode.js';

/** What pusher needs to process a conversation (opcode 104). Extra fields pass through. */
export interface ConversationRequest {
  readonly conversation_id: string;
  readonly language?: string;
  readonly [field: string]: unknown;
}

/** A speaker sample for pusher's speaker identification (opcode 105). */
export interface SpeakerSample {
  readonly person_id: string;
  readonly conversation_id: string;
  readonly segment_ids: readonly string[];
}

/** Longest conversation id, person id or memory id accepted, characters. */
export const MAX_ID_LENGTH = 256;

function header(opcode: Opcode, payloadBytes: number): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payloadBytes);
  frame.writeUInt32LE(opcode, 0);
  return frame;
}

function withPayload(opcode: Opcode, payload: Buffer): Buffer {
  const frame = header(opcode, payload.length);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

/**
 * UTF-8 JSON of `value`. `JSON.stringify` throws a plain TypeError for a BigInt or
 * a cycle (and a `toJSON` may throw anything); callers count and drop on
 * InvalidArgumentError, so every failure to encode is turned into one, cause kept.
 */
function json(argument: string, value: unknown): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    const error = new InvalidArgumentError(
      argument,
      `expected JSON-serialisable data (${err instanceof Error ? err.message : String(err)})`,
    );
    error.cause = err;
    throw error;
  }
  if (text === undefined) throw new InvalidArgumentError(argument, 'expected JSON-serialisable data');
  return Buffer.from(text, 'utf8');
}

function id(argument: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(argument, `expected a string of 1–${MAX_ID_LENGTH} characters, got ${typeof value}`);
  }
  return value;
}

/** 100: heartbeat, no payload. */
export function encodeHeartbeat(): Buffer {
  return header(Opcode.Heartbeat, 0);
}

/** 101: float64 LE start time (seconds, ≥ 0), then PCM16 LE mono samples (an even byte count). */
export function encodeAudio(startTimeSec: number, pcm: Uint8Array): Buffer {
  if (typeof startTimeSec !== 'number' || !Number.isFinite(startTimeSec) || startTimeSec < 0) {
    throw new InvalidArgumentError('startTimeSec', `expected a finite number ≥ 0, got ${String(startTimeSec)}`);
  }
  if (!(pcm instanceof Uint8Array) || pcm.byteLength % 2 !== 0) {
    throw new InvalidArgumentError('pcm', 'expected a Uint8Array/Buffer of PCM16 samples (an even number of bytes)');
  }
  const frame = header(Opcode.Audio, 8 + pcm.byteLength);
  frame.writeDoubleLE(startTimeSec, HEADER_BYTES);
  frame.set(pcm, HEADER_BYTES + 8);
  return frame;
}

/** 102: `{"segments":[…],"memory_id":"…"}` (memory_id left out when not given). */
export function encodeTranscript(segments: readonly unknown[], memoryId?: string): Buffer {
  if (!Array.isArray(segments)) throw new InvalidArgumentError('segments', 'expected an array');
  const body: Record<string, unknown> = { segments };
  if (memoryId !== undefined) body.memory_id = id('memoryId', memoryId);
  return withPayload(Opcode.Transcript, json('segments', body));
}

/** 103: the conversation id, raw UTF-8. */
export function encodeConversationId(conversationId: string): Buffer {
  return withPayload(Opcode.ConversationId, Buffer.from(id('conversationId', conversationId), 'utf8'));
}

/** 104: process this conversation. */
export function encodeProcessConversation(request: ConversationRequest): Buffer {
  if (typeof request !== 'object' || request === null) throw new InvalidArgumentError('request', 'expected an object');
  id('request.conversation_id', request.conversation_id);
  return withPayload(Opcode.ProcessConversation, json('request', request));
}

/** 105: a speaker sample. */
export function encodeSpeakerSample(sample: SpeakerSample): Buffer {
  if (typeof sample !== 'object' || sample === null) throw new InvalidArgumentError('sample', 'expected an object');
  const body = {
    person_id: id('sample.person_id', sample.person_id),
    conversation_id: id('sample.conversation_id', sample.conversation_id),
    segment_ids: sample.segment_ids,
  };
  if (!Array.isArray(body.segment_ids) || !body.segment_ids.every((s) => typeof s === 'string')) {
    throw new InvalidArgumentError('sample.segment_ids', 'expected an array of strings');
  }
  return withPayload(Opcode.SpeakerSample, json('sample', body));
}
