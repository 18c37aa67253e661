// The admin API as the page calls it: JSON with the bearer token in the Authorization header.

/**
 * @typedef {import('./types.d.ts').BreakerSnapshot} BreakerSnapshot
 * @typedef {import('./types.d.ts').AuditEntry} AuditEntry
 * @typedef {import('./types.d.ts').Principal} Principal
 */

/** A refusal or failure, with the API's stable `code` (e.g. FORBIDDEN, RATE_LIMITED). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the server could not be reached
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  /** The token is missing, wrong or expired: sign in again. */
  get isAuthFailure() {
    return this.status === 401;
  }
}

export class AdminApi {
  #base;
  #token;

  /**
   * @param {URL} base  the API's root (the page is served at `<base>ui`)
   * @param {string} token
   */
  constructor(base, token) {
    this.#base = base;
    this.#token = token;
  }

  /** The Authorization header, for the event stream. */
  authHeaders() {
    return { authorization: `Bearer ${this.#token}` };
  }

  /** @param {string} path */
  url(path) {
    return new URL(path, this.#base);
  }

  /** @returns {Promise<Principal>} */
  whoami() {
    return this.#call('GET', 'v1/whoami');
  }

  /** @returns {Promise<{ breakers: BreakerSnapshot[], truncated: boolean }>} */
  list() {
    return this.#call('GET', 'v1/breakers');
  }

  /**
   * @param {string} name
   * @returns {Promise<BreakerSnapshot>}
   */
  breaker(name) {
    return this.#call('GET', `v1/breakers/${encodeURIComponent(name)}`);
  }

  /**
   * @param {string} name
   * @param {number} limit
   * @returns {Promise<{ entries: AuditEntry[] }>}
   */
  audit(name, limit) {
    return this.#call('GET', `v1/breakers/${encodeURIComponent(name)}/audit?limit=${limit}`);
  }

  /**
   * @param {string} name
   * @param {'force-open' | 'force-close'} which
   * @param {{ reason: string, ttlSeconds: number }} body
   * @returns {Promise<BreakerSnapshot>}
   */
  force(name, which, body) {
    return this.#call('POST', `v1/breakers/${encodeURIComponent(name)}/${which}`, body);
  }

  /**
   * @param {string} name
   * @param {string} reason
   * @returns {Promise<BreakerSnapshot>}
   */
  clearOverride(name, reason) {
    // The route takes its reason in the query and refuses a body.
    return this.#call(
      'DELETE',
      `v1/breakers/${encodeURIComponent(name)}/override?reason=${encodeURIComponent(reason)}`,
    );
  }

  /**
   * @param {string} name
   * @param {string} reason
   * @returns {Promise<BreakerSnapshot>}
   */
  reset(name, reason) {
    return this.#call('POST', `v1/breakers/${encodeURIComponent(name)}/reset`, { reason });
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async #call(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { ...this.authHeaders(), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(
        0,
        'UNREACHABLE',
        `the admin API did not answer (${err instanceof Error ? err.message : err})`,
      );
    }
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      const code = typeof payload?.code === 'string' ? payload.code : 'HTTP_ERROR';
      const message = typeof payload?.message === 'string' ? payload.message : `the server answered ${response.status}`;
      const retryAfter = response.headers.get('retry-after');
      throw new ApiError(
        response.status,
        code,
        code === 'RATE_LIMITED' && retryAfter ? `${message} (retry in ${retryAfter} s)` : message,
      );
    }
    return payload;
  }
}
