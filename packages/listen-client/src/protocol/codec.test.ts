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
    ['bad_shape', frame(201, 'null'), true],
    ['bad_shape', frame(201, '[{"conversation_id":"a","success":true}]'), true],
    ['bad_shape', frame(201, '{"success":true}'), true],
    ['bad_shape', frame(201, '{"conversation_id":"a"}'), true],
    ['bad_shape', frame(201, '{"conversation_id":"a","success":false}'), true],
  ])('reports %s without throwing', (reason, data, isBinary) => {
    const decoded = decodeServerFrame(data as Buffer, isBinary as boolean);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.reason).toBe(reason);
  });

  // What a Python model with optional fields emits: an absent value as null.
  it.each([
    ['{"conversation_id":"a","success":true,"error":null}', { conversationId: 'a', success: true }],
    ['{"error":null,"conversation_id":"a","success":true,"detail":null}', { conversationId: 'a', success: true }],
    ['{"conversation_id":"a","success":null,"error":"boom"}', { conversationId: 'a', success: false, error: 'boom' }],
    ['{"conversation_id":"a","success":false,"error":"boom"}', { conversationId: 'a', success: false, error: 'boom' }],
  ])('reads null as absent in an optional field: %s', (body, result) => {
    expect(decodeServerFrame(frame(201, body))).toEqual({ ok: true, opcode: 201, result });
  });

  it.each([
    // Required, so null is missing.
    ['{"conversation_id":null,"success":true}', '201 without a conversation_id string'],
    ['{"conversation_id":"","success":true}', '201 without a conversation_id string'],
    // Optional, null = absent: then there is neither a success nor an error.
    [
      '{"conversation_id":"a","success":null,"error":null}',
      'neither success:true nor an error string (success: absent)',
    ],
    [
      '{"conversation_id":"a","success":false,"error":null}',
      'neither success:true nor an error string (success: false)',
    ],
    ['{"conversation_id":"a","success":"yes"}', 'neither success:true nor an error string (success: "yes")'],
    ['{"conversation_id":"a","success":{"ok":true}}', '(success: an object)'],
    ['{"conversation_id":"a","success":true,"error":42}', '201 error is 42, expected a string, null or absent'],
    ['{"conversation_id":"a","error":{"message":"x"}}', '201 error is an object, expected a string, null or absent'],
  ])('still refuses a bad shape, saying what is wrong: %s', (body, detail) => {
    const decoded = decodeServerFrame(frame(201, body));
    expect(decoded).toMatchObject({ ok: false, reason: 'bad_shape' });
    expect(!decoded.ok && decoded.detail).toContain(detail);
  });

  it('reads a frame that is a view into a larger buffer', () => {
    const big = Buffer.concat([Buffer.from('xxxx'), encodeConversationResult({ conversationId: 'v', success: true })]);
    expect(decodeServerFrame(big.subarray(4)).ok).toBe(true);
  });
});
