// A Server-Sent Events parser (the HTML standard's "event stream interpretation"),
// fed text as it arrives from a fetch() body. The page reads the stream with fetch()
// rather than EventSource because EventSource cannot send an Authorization header,
// and the token must never go into a URL.

/**
 * @typedef {object} SseEvent
 * @property {string} type   `event:` field, `message` when absent
 * @property {string} data   `data:` lines joined with `\n`
 * @property {string} lastEventId  the stream's last event id after this event (as EventSource keeps it)
 */

export class SseParser {
  /** Text received but not yet ended by a line break. */
  #pending = '';
  /** A chunk ended in `\r`: a `\n` starting the next one belongs to that line break. */
  #skipLeadingLf = false;
  #started = false;
  /** @type {string[]} */
  #data = [];
  #type = '';
  /** The `id:` of the event being received; it becomes the last event id when the event ends. */
  #idBuffer = '';
  #lastEventId = '';
  /** @type {number | undefined} */
  #retryMs;

  /** The id of the last event (or `id:` line) seen: send it as `Last-Event-ID` to resume. */
  get lastEventId() {
    return this.#lastEventId;
  }

  /** The server's reconnection delay (`retry:` field), if it sent one. */
  get retryMs() {
    return this.#retryMs;
  }

  /**
   * Feeds decoded text; returns the events it completed, in order.
   * @param {string} text
   * @returns {SseEvent[]}
   */
  push(text) {
    let chunk = text;
    if (this.#skipLeadingLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.#skipLeadingLf = false;
    if (!this.#started && chunk.length > 0) {
      this.#started = true;
      if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1);
    }
    /** @type {SseEvent[]} */
    const events = [];
    const all = this.#pending + chunk;
    let start = 0;
    for (let i = 0; i < all.length; i++) {
      const c = all.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(all.slice(start, i), events);
      if (c === 13) {
        if (i + 1 < all.length) {
          if (all.charCodeAt(i + 1) === 10) i++;
        } else {
          this.#skipLeadingLf = true;
        }
      }
      start = i + 1;
    }
    this.#pending = all.slice(start);
    return events;
  }

  /** Forgets a partly received event (the connection dropped mid-event), and its id. */
  reset() {
    this.#idBuffer = this.#lastEventId;
    this.#pending = '';
    this.#skipLeadingLf = false;
    this.#started = false;
    this.#data = [];
    this.#type = '';
  }

  /**
   * @param {string} line
   * @param {SseEvent[]} out
   */
  #line(line, out) {
    if (line === '') {
      this.#dispatch(out);
      return;
    }
    if (line.startsWith(':')) return; // a comment: heartbeats are often sent as these
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data.push(value);
        break;
      case 'event':
        this.#type = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#idBuffer = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.#retryMs = Number(value);
        break;
      default:
      // Unknown fields are ignored, as the standard says.
    }
  }

  /** @param {SseEvent[]} out */
  #dispatch(out) {
    this.#lastEventId = this.#idBuffer;
    const data = this.#data;
    const type = this.#type;
    this.#data = [];
    this.#type = '';
    if (data.length === 0) return;
    out.push({ type: type === '' ? 'message' : type, data: data.join('\n'), lastEventId: this.#lastEventId });
  }
}
