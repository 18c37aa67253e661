/**
 * Bounds shared by the API's schemas and the CLI, which checks them before
 * sending anything. Kept free of imports so the CLI stays light.
 */

/** Shortest override TTL the API accepts, seconds (the store's own floor is 1 s). */
export const MIN_TTL_SECONDS = 10;
/** Longest override TTL the API accepts, seconds: 24 h, the store's own ceiling. */
export const MAX_TTL_SECONDS = 86_400;
