import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'panel/src/**/*.test.ts'],
    pool: 'forks',
    // Compiles src/ to dist/ once, for the end-to-end tests that run bin/slipway.
    globalSetup: ['test/support/build.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers only add contention with the servers the tests start.
    maxWorkers: 2,
  },
});
