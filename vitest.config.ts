import { defineConfig, type Plugin } from 'vitest/config';

/**
 * Tests read every workspace package from source, like the root typecheck: each package's
 * `exports` maps the `@breakwater/source` condition to `./src/*.ts`. Vite takes resolve
 * conditions per environment (test files run in `ssr`, global setup files in vitest's own),
 * and setting them replaces its defaults, Node's, which are listed too. Vitest also passes
 * the `ssr` ones to its workers as `--conditions`.
 */
export const workspaceSource: Plugin = {
  name: 'breakwater:workspace-source',
  configEnvironment: () => ({
    resolve: { conditions: ['@breakwater/source', 'module', 'node', 'development|production'] },
  }),
};

export default defineConfig({
  plugins: [workspaceSource],
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // The browser tests (test/admin-api/ui/*.spec.ts) are Playwright's: playwright.config.ts.
          exclude: ['test/**/fixtures/**', 'test/**/*.spec.ts', '**/node_modules/**'],
          globalSetup: ['test/harness/global-setup.ts'],
          setupFiles: ['test/harness/setup-file.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
