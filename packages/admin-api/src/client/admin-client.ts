import type { AuditEntry, BreakerSnapshot } from '@breakwater/breaker-core';
import { AdminRequestAbortedError, AdminRequestError, AdminUnreachableError } from './admin-client-errors.js';

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

  async audit(name: string, limit?: number): Promise<AuditEntry[]> {
    const query = limit === undefined ? '' : `?limit=${limit}`;
    const reply = (await this.#request('GET', `/v1/breakers/${encodeURIComponent(name)}/audit${query}`)) as {
      entries: AuditEntry[];
    };
    return reply.entries;
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
    const error = parsed as { code?: unknown; message?: unknown } | undefined;
    throw new AdminRequestError(
      response.status,
      typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`,
      typeof error?.message === 'string' ? error.message : response.statusText || 'no message',
    );
  }
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
