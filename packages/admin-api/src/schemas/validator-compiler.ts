import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const COMMON: Options = { allErrors: false, removeAdditional: false, useDefaults: false, strict: true };

/**
 * Fastify's default Ajv coerces types and silently drops unknown properties,
 * so `{"ttlSeconds": "60", "actor": "mallory"}` would pass as `{ ttlSeconds: 60 }`.
 * Here bodies are validated exactly as sent: no coercion, unknown fields refused.
 * Path and query parameters arrive as strings, so they (only) are coerced.
 * `allErrors` stays off: collecting every error of a hostile body is a DoS vector.
 */
export function strictValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodies = new Ajv({ ...COMMON, coerceTypes: false });
  const strings = new Ajv({ ...COMMON, coerceTypes: true });
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodies : strings).compile(schema as object);
}
