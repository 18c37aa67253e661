import { defineConfig } from 'vitest/config';

// Tests read every workspace package from source, like the root typecheck: each package's
// `exports` maps the `@breakwater/source` condition to `./src/*.ts`. Setting SSR conditions
// replaces Vite's defaults, so they are listed too. Vitest also passes these to its workers
// as `--conditions`.
const conditions = ['@breakwater/source', 'module', 'node', 'development|production'];

export default defineConfig({
  ssr: { resolve: { conditions } },
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
          exclude: ['test/**/fixtures/**', '**/node_modules/**'],
          globalSetup: ['test/harness/global-setup.ts'],
          setupFiles: ['test/harness/setup-file.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
