import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ADMIN_ERROR_STATUS, type AdminErrorCode } from './error-codes.js';
import type { HttpErrorBody } from './to-http-error.js';

/** Node's errors for a request it could not parse or that never completed, by their code. */
const CLIENT_ERRORS: Readonly<Record<string, { code: AdminErrorCode; message: string }>> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'REQUEST_TIMEOUT',
    message: 'the request did not arrive completely in time',
  },
  HPE_HEADER_OVERFLOW: { code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large' },
};
const MALFORMED = { code: 'INVALID_REQUEST', message: 'malformed HTTP request' } as const;

/**
 * Fastify's `clientErrorHandler` for the standalone app: a request Node could
 * not parse (400), that timed out (408) or whose headers overflowed (431) is
 * answered in the API's error shape, with a code, instead of Fastify's default
 * body without one. Logged by the error's code only: the error carries the
 * raw bytes received, and with them the URL and maybe a token.
 */
export function answerClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex): void {
  // The connection is gone: there is no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message } = (err.code !== undefined ? CLIENT_ERRORS[err.code] : undefined) ?? MALFORMED;
  const statusCode = ADMIN_ERROR_STATUS[code];
  this.log.debug({ code, nodeCode: err.code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ statusCode, code, message } satisfies HttpErrorBody);
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
