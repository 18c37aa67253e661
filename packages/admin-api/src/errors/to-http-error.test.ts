import {
  BreakerNotFoundError,
  InvalidArgumentError,
  NotRegisteredError,
  StoreUnavailableError,
} from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { AdminApiError } from './admin-api-error.js';
import { ADMIN_ERROR_STATUS } from './error-codes.js';
import { describeSchemaViolation, toHttpError } from './to-http-error.js';

function fastifyError(code: string, statusCode: number, message = 'fastify says no') {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('toHttpError', () => {
  it.each([
    [new BreakerNotFoundError('pusher'), 404, 'BREAKER_NOT_FOUND'],
    [new InvalidArgumentError('reason', 'too long'), 400, 'INVALID_REQUEST'],
    [new StoreUnavailableError('redis down'), 503, 'STORE_UNAVAILABLE'],
    [new NotRegisteredError('pusher'), 500, 'INTERNAL_ERROR'],
    [new AdminApiError('FORBIDDEN', 'viewer'), 403, 'FORBIDDEN'],
    [fastifyError('FST_ERR_VALIDATION', 400), 400, 'INVALID_REQUEST'],
    [fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400), 400, 'INVALID_JSON'],
    [fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 400, 'INVALID_JSON'],
    [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 413, 'BODY_TOO_LARGE'],
    [fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [fastifyError('FST_ERR_SOMETHING_NEW', 400), 400, 'INVALID_REQUEST'],
    [new TypeError('x is undefined'), 500, 'INTERNAL_ERROR'],
    ['a string', 500, 'INTERNAL_ERROR'],
  ])('maps %s to %i %s', (err, statusCode, code) => {
    const { body } = toHttpError(err);
    expect(body.statusCode).toBe(statusCode);
    expect(body.code).toBe(code);
    expect(ADMIN_ERROR_STATUS[body.code]).toBe(statusCode);
  });

  it('keeps store messages (they name the breaker or field) but hides unexpected ones', () => {
    expect(toHttpError(new BreakerNotFoundError('pusher')).body.message).toContain('"pusher"');
    expect(toHttpError(new TypeError('secret internals')).body.message).toBe('internal error');
  });

  it('carries extra headers and logs by severity', () => {
    const limited = toHttpError(new AdminApiError('RATE_LIMITED', 'slow down', { headers: { 'retry-after': '7' } }));
    expect(limited.headers).toEqual({ 'retry-after': '7' });
    expect(limited.logLevel).toBe('info');
    expect(toHttpError(new StoreUnavailableError('down')).logLevel).toBe('warn');
    expect(toHttpError(new Error('bug')).logLevel).toBe('error');
  });

  it('names the offending field of a schema violation', () => {
    const violation = (context: string, validation: object) =>
      toHttpError(
        Object.assign(fastifyError('FST_ERR_VALIDATION', 400, 'body must NOT have additional properties'), {
          validation: [validation],
          validationContext: context,
        }),
      ).body.message;
    expect(
      violation('body', { keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'foo' } }),
    ).toBe('body/foo: unknown field');
    expect(
      violation('body', { keyword: 'required', instancePath: '', params: { missingProperty: 'ttlSeconds' } }),
    ).toBe('body/ttlSeconds: required');
    expect(violation('body', { keyword: 'minimum', instancePath: '/ttlSeconds', message: 'must be >= 10' })).toBe(
      'body/ttlSeconds: must be >= 10',
    );
    expect(violation('querystring', { keyword: 'type', instancePath: '/limit', message: 'must be integer' })).toBe(
      'querystring/limit: must be integer',
    );
    // Without Ajv's details, Fastify's own message stays.
    expect(toHttpError(fastifyError('FST_ERR_VALIDATION', 400, 'body is wrong')).body.message).toBe('body is wrong');
    expect(
      describeSchemaViolation('body', {
        keyword: 'additionalProperties',
        params: { additionalProperty: 'x'.repeat(1_000) },
      }),
    ).toBe(`body/${'x'.repeat(64)}…: unknown field`);
  });
});
