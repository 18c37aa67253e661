import type { Role } from './role.js';

/** Who may call a route: anyone, or a token with at least this role. */
export type RouteAccess = 'public' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route. @default 'public' */
    access?: RouteAccess;
    /** Mutations are rate-limited per token. @default false */
    mutation?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes. */
    principal: import('./token-registry.js').Principal | null;
    /** Whether the rate limiter took a token for this request (given back if it is refused). */
    rateLimitTaken: boolean;
  }
}
