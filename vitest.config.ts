import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Tests read every package from source, like the root typecheck (tsconfig.json paths).
const alias = {
  '@breakwater/breaker-core': pkg('breaker-core'),
  '@breakwater/listen-client': pkg('listen-client'),
  '@breakwater/admin-api': pkg('admin-api'),
  '@breakwater/pusher-stand-in': pkg('pusher-stand-in'),
  '@breakwater/incident-replay': pkg('incident-replay'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
        },
      },
      {
        resolve: { alias },
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
