/** Longest bearer token the API reads; longer ones are refused without hashing them. */
export const MAX_PRESENTED_TOKEN_LENGTH = 512;

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

/**
 * The token of an `Authorization: Bearer <token>` header (scheme
 * case-insensitive, RFC 9110 §11.1), or undefined when the header is absent,
 * uses another scheme or is malformed.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_PRESENTED_TOKEN_LENGTH + 16) return undefined;
  const token = BEARER.exec(header)?.[1];
  return token !== undefined && token.length <= MAX_PRESENTED_TOKEN_LENGTH ? token : undefined;
}
