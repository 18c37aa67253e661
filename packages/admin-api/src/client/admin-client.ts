import type { AuditEntry, BreakerConfig, BreakerSnapshot } from '@breakwater/breaker-core';
import { AdminRequestAbortedError, AdminRequestError, AdminUnreachableError } from './admin-client-errors.js';
import { type ServerSentEvent, SseParser } from './sse-parser.js';

/** The fields of a breaker config to change (`PUT /v1/breakers/:name/config`); the others stay. */
export type ConfigPatch = Partial<Omit<BreakerConfig, 'failureRate'>> & {
  failureRate?: BreakerConfig['failureRate'];
};

/** An event of `GET /v1/events`, its data parsed (see the README's event stream contract). */
export interface AdminStreamEvent {
  /** `snapshot`, `transition`, `ready` or `removed`. */
  readonly event: string;
  /** The event's id (`transition`, `ready`): give the last one as `lastEventId` to resume. */
  readonly id: string | undefined;
  readonly data: unknown;
}

export interface AdminEventsOptions {
  /** Follow one breaker; omit for every breaker. */
  readonly name?: string;
  /** Resume after this event id (the `Last-Event-ID` header). */
  readonly lastEventId?: string;
  /** A stream that sends nothing (not even a heartbeat) for this long is given up as dead, ms. @default 45_000 */
  readonly idleTimeoutMs?: number;
}

/** Three missed heartbeats at the server's default 15 s. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 45_000;

export interface AdminClientOptions {
  /** Where the admin API listens, e.g. `https://breakwater-admin.internal`. */
  readonly baseUrl: string;
  readonly token: string;
  /** Per request, ms. @default 10_000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Aborts the request in flight (the CLI wires Ctrl-C to it). @default none */
  readonly signal?: AbortSignal;
}

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

/** A typed client of the admin API (what the `breakwater` CLI speaks). */
export class AdminClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #signal: AbortSignal | undefined;

  constructor(options: AdminClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#signal = options.signal;
  }

  list(): Promise<{ breakers: BreakerSnapshot[]; truncated: boolean }> {
    return this.#request('GET', '/v1/breakers') as Promise<{ breakers: BreakerSnapshot[]; truncated: boolean }>;
  }

  get(name: string): Promise<BreakerSnapshot> {
    return this.#request('GET', `/v1/breakers/${encodeURIComponent(name)}`) as Promise<BreakerSnapshot>;
  }

  forceOpen(name: string, body: { reason: string; ttlSeconds: number }): Promise<BreakerSnapshot> {
    return this.#request(
      'POST',
      `/v1/breakers/${encodeURIComponent(name)}/force-open`,
      body,
    ) as Promise<BreakerSnapshot>;
  }

  forceClose(name: string, body: { reason: string; ttlSeconds: number }): Promise<BreakerSnapshot> {
    return this.#request(
      'POST',
      `/v1/breakers/${encodeURIComponent(name)}/force-close`,
      body,
    ) as Promise<BreakerSnapshot>;
  }

  clearOverride(name: string, reason?: string): Promise<BreakerSnapshot> {
    const query = reason === undefined ? '' : `?reason=${encodeURIComponent(reason)}`;
    return this.#request(
      'DELETE',
      `/v1/breakers/${encodeURIComponent(name)}/override${query}`,
    ) as Promise<BreakerSnapshot>;
  }

  reset(name: string, reason: string): Promise<BreakerSnapshot> {
    return this.#request('POST', `/v1/breakers/${encodeURIComponent(name)}/reset`, {
      reason,
    }) as Promise<BreakerSnapshot>;
  }

  /** Changes the fields given for every pod (audited with `reason`); a config equal to the stored one changes nothing. */
  updateConfig(name: string, body: { reason: string; config: ConfigPatch }): Promise<BreakerSnapshot> {
    return this.#request('PUT', `/v1/breakers/${encodeURIComponent(name)}/config`, body) as Promise<BreakerSnapshot>;
  }

  async audit(name: string, limit?: number): Promise<AuditEntry[]> {
    const query = limit === undefined ? '' : `?limit=${limit}`;
    const reply = (await this.#request('GET', `/v1/breakers/${encodeURIComponent(name)}/audit${query}`)) as {
      entries: AuditEntry[];
    };
    return reply.entries;
  }

  /**
   * Opens the event stream and yields its events until the server ends it
   * (the generator returns) or it fails: AdminRequestError when the server
   * refuses it (e.g. 404 ROUTE_NOT_FOUND from a server without the stream),
   * AdminUnreachableError when it cannot be reached, answers something that is
   * not an event stream (`reason: 'not_a_stream'`) or goes silent
   * (`reason: 'stream_idle'`), AdminRequestAbortedError when the client's signal
   * fires. The request timeout bounds only the wait for the response headers.
   */
  async *events(options: AdminEventsOptions = {}): AsyncGenerator<AdminStreamEvent, void, undefined> {
    const query = options.name === undefined ? '' : `?name=${encodeURIComponent(options.name)}`;
    const url = `${this.#baseUrl}/v1/events${query}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    const idleMs = options.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
    const own = new AbortController();
    let why: 'timeout' | 'idle' | undefined;
    const giveUp = (reason: 'timeout' | 'idle') => {
      why = reason;
      own.abort();
    };
    let timer = setTimeout(() => giveUp('timeout'), this.#timeoutMs);
    const signal = this.#signal ? AbortSignal.any([own.signal, this.#signal]) : own.signal;
    const failed = (err: unknown): Error => {
      if (this.#signal?.aborted) return new AdminRequestAbortedError(`GET ${url} abandoned`, { cause: err });
      if (why === 'idle') {
        return new AdminUnreachableError(this.#baseUrl, 'stream_idle', `${url} sent nothing for ${idleMs / 1000} s`);
      }
      const reason = why === 'timeout' ? 'timeout' : describeFetchError(err);
      const text = reason === 'timeout' ? `no answer within ${this.#timeoutMs / 1000} s` : reason;
      return new AdminUnreachableError(this.#baseUrl, reason, `cannot reach ${this.#baseUrl}: ${text}`, { cause: err });
    };
    try {
      let response: Response;
      try {
        response = await this.#fetch(url, { method: 'GET', headers, signal });
      } catch (err) {
        throw failed(err);
      }
      if (!response.ok) {
        const text = await response.text().catch(() => '');
        throw this.#refusal(response, text);
      }
      if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || !response.body) {
        await response.body?.cancel().catch(() => {});
        throw new AdminUnreachableError(this.#baseUrl, 'not_a_stream', `${url} did not answer with an event stream`);
      }
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      // A fetch that ignores its signal once the body flows must not leave a read pending forever.
      const cancel = () => void reader.cancel().catch(() => {});
      signal.addEventListener('abort', cancel, { once: true });
      try {
        for (;;) {
          clearTimeout(timer);
          timer = setTimeout(() => giveUp('idle'), idleMs);
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            throw failed(err);
          }
          if (signal.aborted) throw failed(signal.reason);
          if (chunk.done) return;
          for (const e of parser.push(decoder.decode(chunk.value, { stream: true }))) yield parsed(e);
        }
      } finally {
        signal.removeEventListener('abort', cancel);
        cancel();
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.#signal ? AbortSignal.any([timeout, this.#signal]) : timeout,
      });
      text = await response.text();
    } catch (err) {
      if (this.#signal?.aborted) {
        throw new AdminRequestAbortedError(`${method} ${this.#baseUrl}${path} abandoned before the answer came`, {
          cause: err,
        });
      }
      const reason = timeout.aborted ? 'timeout' : describeFetchError(err);
      const why = reason === 'timeout' ? `no answer within ${this.#timeoutMs / 1000} s` : reason;
      throw new AdminUnreachableError(this.#baseUrl, reason, `cannot reach ${this.#baseUrl}: ${why}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) {
      if (parsed === undefined) {
        throw new AdminUnreachableError(
          this.#baseUrl,
          'not_the_api',
          `${this.#baseUrl} answered ${response.status} without JSON: is it the admin API?`,
        );
      }
      return parsed;
    }
    throw this.#refusal(response, text);
  }

  /** The error a non-2xx answer stands for: its `{ code, message }` when it has one. */
  #refusal(response: Response, text: string): AdminRequestError {
    let error: { code?: unknown; message?: unknown } | undefined;
    try {
      error = text === '' ? undefined : (JSON.parse(text) as typeof error);
    } catch {
      error = undefined;
    }
    return new AdminRequestError(
      response.status,
      typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`,
      typeof error?.message === 'string' ? error.message : response.statusText || 'no message',
    );
  }
}

function parsed(e: ServerSentEvent): AdminStreamEvent {
  let data: unknown;
  try {
    data = JSON.parse(e.data);
  } catch {
    data = e.data;
  }
  return { event: e.event, id: e.id, data };
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
