// A Node module resolution hook (registered by playwright.config.ts with `module.register`)
// that adds the `@breakwater/source` condition, so `@breakwater/*` resolve to their sources
// in the Playwright runner and its workers, as vitest.config.ts and `tsx --conditions` make
// them do elsewhere. Node takes `--conditions` only at start-up; a hook adds it to a process
// already running, and Playwright loads the config in every worker before any test file.
const CONDITION = '@breakwater/source';

export async function resolve(specifier, context, nextResolve) {
  if (context.conditions.includes(CONDITION)) return nextResolve(specifier, context);
  return nextResolve(specifier, { ...context, conditions: [CONDITION, ...context.conditions] });
}
