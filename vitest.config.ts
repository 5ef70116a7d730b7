import { defineConfig } from 'vitest/config';

// Tests import workspace packages through the "@logpath/source" export condition,
// so they run against src/ and need no build.
const conditions = ['@logpath/source', 'node', 'import', 'module', 'default'];
// Vitest also hands the SSR conditions to Node as --conditions; "import" there makes
// require() pick ESM builds of dual packages (Express 5's router then gets a namespace).
const ssrConditions = conditions.filter((c) => c !== 'import');

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: ssrConditions, externalConditions: ssrConditions } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'test/**/*.test.ts',
      'bench/**/*.test.ts',
      'demo/**/*.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['test/setup/kafka-global-setup.ts'],
  },
});
