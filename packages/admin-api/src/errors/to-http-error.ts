import {
  isBreakerNotFoundError,
  isInvalidArgumentError,
  isNotRegisteredError,
  isStoreUnavailableError,
} from '@breakwater/breaker-core';
import { isAdminApiError } from './admin-api-error.js';
import { ADMIN_ERROR_STATUS, type AdminErrorCode } from './error-codes.js';

/** The reply body of every error. */
export interface HttpErrorBody {
  readonly statusCode: number;
  readonly code: AdminErrorCode;
  readonly message: string;
}

export interface HttpError {
  readonly body: HttpErrorBody;
  readonly headers: Readonly<Record<string, string>>;
  /** How loud to log it: 4xx are the caller's business (info), 503 an outage elsewhere (warn), 500 a bug (error). */
  readonly logLevel: 'info' | 'warn' | 'error';
}

/** Fastify's own errors, by their code. */
const FASTIFY_CODES: Readonly<Record<string, AdminErrorCode>> = {
  FST_ERR_VALIDATION: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_BAD_URL: 'INVALID_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'INVALID_REQUEST',
  FST_ERR_NOT_FOUND: 'ROUTE_NOT_FOUND',
};

/** Clearer words than Fastify's for the errors an SRE's client most likely hits. */
const FASTIFY_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported content type: send the body as application/json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'the request body is larger than this server accepts',
};

/** Longest field name a validation message repeats (a hostile body may send a 16 KiB one). */
const MAX_FIELD_NAME_IN_MESSAGE = 64;

/** The part of an Ajv error the messages below read. */
interface SchemaViolation {
  readonly keyword?: string;
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: { readonly additionalProperty?: unknown; readonly missingProperty?: unknown };
}

/**
 * Names the offending field, which Fastify's message leaves out for the
 * commonest mistakes: `body/actor: unknown field` rather than "body must NOT
 * have additional properties", `body/ttlSeconds: required`,
 * `body/ttlSeconds: must be >= 10`, `querystring/limit: must be integer`.
 */
export function describeSchemaViolation(context: string, violation: SchemaViolation): string {
  const field = (name: unknown) => {
    const text = String(name);
    return text.length > MAX_FIELD_NAME_IN_MESSAGE ? `${text.slice(0, MAX_FIELD_NAME_IN_MESSAGE)}…` : text;
  };
  const path = `${context}${violation.instancePath ?? ''}`;
  switch (violation.keyword) {
    case 'additionalProperties':
      return `${path}/${field(violation.params?.additionalProperty)}: unknown field`;
    case 'required':
      return `${path}/${field(violation.params?.missingProperty)}: required`;
    default:
      return `${path}: ${violation.message ?? 'invalid'}`;
  }
}

function validationMessage(err: { validation?: unknown; validationContext?: unknown }): string | undefined {
  const first = Array.isArray(err.validation) ? (err.validation[0] as SchemaViolation | undefined) : undefined;
  if (first === undefined || typeof err.validationContext !== 'string') return undefined;
  return describeSchemaViolation(err.validationContext, first);
}

/**
 * The one mapping from anything thrown while serving a request to the reply.
 * Store errors keep their message (it names the breaker or the field); a 5xx
 * of unknown origin says only "internal error".
 */
export function toHttpError(err: unknown): HttpError {
  const e = err as {
    code?: unknown;
    message?: unknown;
    statusCode?: unknown;
    validation?: unknown;
    validationContext?: unknown;
  };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const reply = (code: AdminErrorCode, text: string, headers: Record<string, string> = {}): HttpError => {
    const statusCode = ADMIN_ERROR_STATUS[code];
    const logLevel = statusCode === 500 ? 'error' : statusCode >= 500 ? 'warn' : 'info';
    return { body: { statusCode, code, message: text }, headers, logLevel };
  };

  if (isAdminApiError(err)) return reply(err.code, err.message, { ...err.headers });
  if (isBreakerNotFoundError(err)) return reply('BREAKER_NOT_FOUND', message);
  if (isInvalidArgumentError(err)) return reply('INVALID_REQUEST', message);
  if (isStoreUnavailableError(err)) return reply('STORE_UNAVAILABLE', message);
  if (isNotRegisteredError(err)) return reply('INTERNAL_ERROR', 'internal error');
  if (e?.code === 'FST_ERR_VALIDATION') return reply('INVALID_REQUEST', validationMessage(e) ?? message);
  if (typeof e?.code === 'string' && FASTIFY_CODES[e.code] !== undefined) {
    return reply(FASTIFY_CODES[e.code] as AdminErrorCode, FASTIFY_MESSAGES[e.code] ?? message);
  }
  // Any other client error Fastify raises (a malformed request line, say) stays a 400.
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return reply('INVALID_REQUEST', message);
  }
  return reply('INTERNAL_ERROR', 'internal error');
}
