/**
 * Token roles. `operator` implies `viewer`: whoever may change a breaker may
 * also read it.
 */
export const ROLES = ['viewer', 'operator'] as const;

export type Role = (typeof ROLES)[number];

const RANK: Readonly<Record<Role, number>> = { viewer: 1, operator: 2 };

/** Whether a token holding `granted` may use a route that needs `required`. */
export function roleAllows(granted: Role, required: Role): boolean {
  return RANK[granted] >= RANK[required];
}
