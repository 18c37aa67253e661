import type { AuditEntry, BreakerSnapshot } from '@breakwater/breaker-core';
import { AdminRequestError, AdminUnreachableError } from './admin-client-errors.js';

export interface AdminClientOptions {
  /** Where the admin API listens, e.g. `https://breakwater-admin.internal`. */
  readonly baseUrl: string;
  readonly token: string;
  /** Per request, ms. @default 10_000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

/** A typed client of the admin API (what the `breakwater` CLI speaks). */
export class AdminClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: AdminClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? globalThis.fetch;
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
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw new AdminUnreachableError(`cannot reach ${this.#baseUrl}: ${describeFetchError(err)}`, { cause: err });
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
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time';
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
