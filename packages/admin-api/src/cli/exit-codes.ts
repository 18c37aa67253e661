/** The `breakwater` CLI's exit codes (documented in README.md). */
export const EXIT_CODES = Object.freeze({
  /** Done. */
  OK: 0,
  /** The server refused the request (4xx): bad token, wrong role, unknown breaker, bad input, rate limit. */
  REFUSED: 1,
  /** The command line was wrong; nothing was sent. */
  USAGE: 2,
  /** The server failed (5xx), e.g. Redis unavailable. The change may or may not have happened: check `status`. */
  SERVER_ERROR: 3,
  /** No answer: connection refused, DNS failure, timeout. */
  UNREACHABLE: 4,
  /** Interrupted (Ctrl-C: 128 + SIGINT) before the answer came. A change may or may not have happened: check `status`. */
  INTERRUPTED: 130,
});

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
