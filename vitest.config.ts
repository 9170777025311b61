import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Two cores: a modest pool keeps suites from starving each other and the servers they start.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    setupFiles: ['test/support/setup.ts'],
    reporters: process.env.KEYPLANE_TEST_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.KEYPLANE_TEST_REPORT ? { json: process.env.KEYPLANE_TEST_REPORT } : undefined,
  },
});
