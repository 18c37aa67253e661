/**
 * Server-Sent Events framing (WHATWG HTML §9.2). Data is one line of JSON
 * (JSON.stringify never emits a raw newline), so each event is exactly
 * `event:`, optionally `id:`, one `data:` line and a blank line.
 */

/** The event names a stream sends (documented in README.md). */
export type StreamEventName = 'snapshot' | 'transition' | 'ready' | 'removed';

export function sseEvent(event: StreamEventName, data: unknown, id?: string): string {
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: clients ignore it; proxies and idle timers see traffic. */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}
