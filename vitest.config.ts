import { defineConfig } from 'vitest/config';

// Tests import workspace packages through the "@logpath/source" export condition,
// so they run against src/ and need no build.
const conditions = ['@logpath/source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['test/setup/kafka-global-setup.ts'],
  },
});
