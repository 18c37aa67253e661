import { isInvalidArgumentError } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { decodeServerFrame, encodeConversationResult } from './decode.js';
import {
  encodeAudio,
  encodeConversationId,
  encodeHeartbeat,
  encodeProcessConversation,
  encodeSpeakerSample,
  encodeTranscript,
} from './encode.js';

const opcode = (b: Buffer) => b.readUInt32LE(0);
const circular = () => {
  const o: Record<string, unknown> = {};
  o.self = o;
  return o;
};
const json = (b: Buffer) => JSON.parse(b.subarray(4).toString('utf8'));

describe('encode', () => {
  it('frames every client opcode as uint32 LE + payload', () => {
    expect([...encodeHeartbeat()]).toEqual([100, 0, 0, 0]);

    const audio = encodeAudio(12.5, Buffer.from([1, 2, 3, 4]));
    expect(opcode(audio)).toBe(101);
    expect(audio.readDoubleLE(4)).toBe(12.5);
    expect([...audio.subarray(12)]).toEqual([1, 2, 3, 4]);

    const transcript = encodeTranscript([{ text: 'hé' }], 'mem-1');
    expect(opcode(transcript)).toBe(102);
    expect(json(transcript)).toEqual({ segments: [{ text: 'hé' }], memory_id: 'mem-1' });
    expect(json(encodeTranscript([]))).toEqual({ segments: [] });

    const conv = encodeConversationId('c-1');
    expect(opcode(conv)).toBe(103);
    expect(conv.subarray(4).toString()).toBe('c-1');

    const process = encodeProcessConversation({ conversation_id: 'c-1', language: 'en', extra: 1 });
    expect(opcode(process)).toBe(104);
    expect(json(process)).toEqual({ conversation_id: 'c-1', language: 'en', extra: 1 });

    const sample = encodeSpeakerSample({ person_id: 'p', conversation_id: 'c', segment_ids: ['s1'] });
    expect(opcode(sample)).toBe(105);
    expect(json(sample)).toEqual({ person_id: 'p', conversation_id: 'c', segment_ids: ['s1'] });
  });

  it.each([
    ['startTimeSec', () => encodeAudio(-1, Buffer.alloc(2))],
    ['startTimeSec', () => encodeAudio(Number.NaN, Buffer.alloc(2))],
    ['pcm', () => encodeAudio(0, Buffer.alloc(3))],
    ['pcm', () => encodeAudio(0, 'abc' as never)],
    ['segments', () => encodeTranscript('x' as never)],
    ['memoryId', () => encodeTranscript([], '')],
    ['conversationId', () => encodeConversationId('')],
    ['request.conversation_id', () => encodeProcessConversation({} as never)],
    ['segments', () => encodeTranscript([{ n: 1n }])],
    ['segments', () => encodeTranscript([circular()])],
    [
      'segments',
      () =>
        encodeTranscript([
          {
            toJSON: () => {
              throw new Error('boom');
            },
          },
        ]),
    ],
    ['request', () => encodeProcessConversation({ conversation_id: 'c', big: 1n })],
    ['request', () => encodeProcessConversation({ conversation_id: 'c', self: circular() })],
    [
      'sample.segment_ids',
      () => encodeSpeakerSample({ person_id: 'p', conversation_id: 'c', segment_ids: [1] as never }),
    ],
  ])('refuses a bad %s', (argument, encode) => {
    let caught: unknown;
    try {
      encode();
    } catch (err) {
      caught = err;
    }
    expect(isInvalidArgumentError(caught) && caught.argument).toBe(argument);
  });
});

describe('decodeServerFrame', () => {
  it('decodes 201 success and error, round-tripping the encoder', () => {
    expect(decodeServerFrame(encodeConversationResult({ conversationId: 'a', success: true }))).toEqual({
      ok: true,
      opcode: 201,
      result: { conversationId: 'a', success: true },
    });
    expect(decodeServerFrame(encodeConversationResult({ conversationId: 'a', success: false, error: 'boom' }))).toEqual(
      { ok: true, opcode: 201, result: { conversationId: 'a', success: false, error: 'boom' } },
    );
  });

  const frame = (op: number, body: string) => {
    const b = Buffer.alloc(4 + Buffer.byteLength(body));
    b.writeUInt32LE(op, 0);
    b.write(body, 4);
    return b;
  };

  it.each([
    ['text_frame', Buffer.from('hello'), false],
    ['short', Buffer.from([201, 0]), true],
    ['unknown_opcode', frame(999, '{}'), true],
    ['bad_json', frame(201, '{"conversation_id":'), true],
    ['bad_shape', frame(201, '"just a string"'), true],
    ['bad_shape', frame(201, '{"success":true}'), true],
    ['bad_shape', frame(201, '{"conversation_id":"a"}'), true],
    ['bad_shape', frame(201, '{"conversation_id":"a","success":false}'), true],
  ])('reports %s without throwing', (reason, data, isBinary) => {
    const decoded = decodeServerFrame(data as Buffer, isBinary as boolean);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.reason).toBe(reason);
  });

  it('reads a frame that is a view into a larger buffer', () => {
    const big = Buffer.concat([Buffer.from('xxxx'), encodeConversationResult({ conversationId: 'v', success: true })]);
    expect(decodeServerFrame(big.subarray(4)).ok).toBe(true);
  });
});
