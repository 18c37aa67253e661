/** One Server-Sent Event as received. */
export interface ServerSentEvent {
  readonly event: string;
  /** The event's own `id:` line, if it had one. */
  readonly id: string | undefined;
  readonly data: string;
}

/**
 * An incremental Server-Sent Events parser (WHATWG HTML §9.2.6): feed it text
 * as it arrives; it returns the events completed by that text. Comment lines
 * are dropped; `retry:` is ignored. Memory is bounded by the longest event.
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #id: string | undefined;
  #data: string[] = [];

  push(text: string): ServerSentEvent[] {
    const out: ServerSentEvent[] = [];
    this.#buffer += text;
    for (;;) {
      const end = this.#buffer.search(/\r\n|\r|\n/);
      if (end < 0) break;
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (this.#buffer[end] === '\r' && end === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + (this.#buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (this.#data.length > 0)
          out.push({ event: this.#event || 'message', id: this.#id, data: this.#data.join('\n') });
        this.#event = '';
        this.#id = undefined;
        this.#data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') this.#event = value;
        else if (field === 'data') this.#data.push(value);
        else if (field === 'id' && !value.includes('\0')) this.#id = value;
      }
    }
    return out;
  }
}
