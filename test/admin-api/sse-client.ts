// Reads a Server-Sent Events stream over a real socket (not a test file). A parser of its
// own, written from the WHATWG spec, so the tests do not grade the server by its own code.

export interface SseEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

export interface SseConnection {
  readonly status: number;
  readonly headers: Headers;
  /** Every event received so far, in order. */
  readonly events: SseEvent[];
  /** Comment lines received so far (without the colon). */
  readonly comments: string[];
  /** Resolves when the server ends the stream or the connection drops. */
  readonly ended: Promise<void>;
  /** The JSON data of each event received so far named `name`. */
  json<T = Record<string, unknown>>(name: string): T[];
  close(): void;
}

/** Opens `url` with the given headers and parses what arrives, until close() or the server ends it. */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseConnection> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const parse = parser(
    (e) => events.push(e),
    (c) => comments.push(c),
  );
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) parse(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // aborted or cut: the test looks at what arrived
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    ended,
    json: <T>(name: string) => events.filter((e) => e.event === name).map((e) => JSON.parse(e.data) as T),
    close: () => abort.abort(),
  };
}

/** An incremental parser: feed it text, it calls back per event and comment. */
export function parser(onEvent: (e: SseEvent) => void, onComment: (text: string) => void): (text: string) => void {
  let buffer = '';
  let event = '';
  let id: string | undefined;
  let data: string[] = [];
  return (text) => {
    buffer += text;
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      if (end < 0) return;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) onEvent({ event: event || 'message', id, data: data.join('\n') });
        event = '';
        id = undefined;
        data = [];
        continue;
      }
      if (line.startsWith(':')) {
        onComment(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
  };
}
