/** The server answered with an error `{ statusCode, code, message }`. */
export class AdminRequestError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'AdminRequestError';
    this.status = status;
    this.code = code;
  }
}

/** No answer at all: connection refused, DNS failure, timeout, or a reply that is not the API's. */
export class AdminUnreachableError extends Error {
  /** The URL that could not be reached. */
  readonly url: string;
  /** Why, in a word: `ECONNREFUSED`, `ENOTFOUND`, `timeout`, `not_the_api`, … */
  readonly reason: string;

  constructor(url: string, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminUnreachableError';
    this.url = url;
    this.reason = reason;
  }
}

/** The caller aborted the request (Ctrl-C) before the answer came: a change may or may not have been made. */
export class AdminRequestAbortedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminRequestAbortedError';
  }
}
