import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';

/** Feeds `text` cut at every position in `cuts`, returning all events. */
function parseInPieces(text: string, cuts: number[]) {
  const parser = new SseParser();
  const events = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    events.push(...parser.push(text.slice(from, cut)));
    from = cut;
  }
  return { parser, events };
}

describe('SseParser', () => {
  const stream =
    ':ok\n\n' +
    'retry: 2500\n' +
    'id: 1-0\nevent: transition\ndata: {"name":"pusher",\ndata: "generation":3}\n\n' +
    ': heartbeat\n\n' +
    'id: 2-0\r\ndata: plain\r\n\r\n' +
    'event: heartbeat\rdata\r\r';

  it('parses events, comments, ids, retry and every line ending, however the text is cut', () => {
    const expected = [
      { type: 'transition', data: '{"name":"pusher",\n"generation":3}', lastEventId: '1-0' },
      { type: 'message', data: 'plain', lastEventId: '2-0' },
      { type: 'heartbeat', data: '', lastEventId: '2-0' },
    ];
    // All at once, one character at a time, and cut at every single position (CRLF split included).
    expect(parseInPieces(stream, []).events).toEqual(expected);
    expect(
      parseInPieces(
        stream,
        [...stream].map((_, i) => i),
      ).events,
    ).toEqual(expected);
    for (let i = 1; i < stream.length; i++) expect(parseInPieces(stream, [i]).events, `cut at ${i}`).toEqual(expected);
    const { parser } = parseInPieces(stream, []);
    expect(parser.retryMs).toBe(2500);
    expect(parser.lastEventId).toBe('2-0');
  });

  it('keeps the last id across a dropped connection but forgets the half-received event', () => {
    const parser = new SseParser();
    expect(parser.push('\uFEFFid: 7\ndata: a\n\nid: 8\ndata: half')).toEqual([
      { type: 'message', data: 'a', lastEventId: '7' },
    ]);
    parser.reset();
    expect(parser.lastEventId).toBe('7');
    expect(parser.push('data: b\n\n')).toEqual([{ type: 'message', data: 'b', lastEventId: '7' }]);
  });

  it('ignores unknown fields, a bad retry, an id holding NUL, and an event without data', () => {
    const parser = new SseParser();
    expect(parser.push('foo: bar\nretry: soon\nid: a\0b\nevent: x\n\n')).toEqual([]);
    expect(parser.retryMs).toBeUndefined();
    expect(parser.lastEventId).toBe('');
    // An id alone still moves the resume point (the server may send one with a heartbeat).
    expect(parser.push('id: 9\n\n')).toEqual([]);
    expect(parser.lastEventId).toBe('9');
    // "data:x" without the space keeps everything after the colon; only one leading space is dropped.
    expect(parser.push('data:x\ndata:  y\n\n')).toEqual([{ type: 'message', data: 'x\n y', lastEventId: '9' }]);
  });
});
