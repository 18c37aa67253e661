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
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminUnreachableError';
  }
}
