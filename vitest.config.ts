import { postgresAvailability, postgresRequired } from './test/support/postgres-probe.js';
import { defineConfig } from 'vitest/config';

/** Whether the test PostgreSQL answers; when it does not, say so and why. */
async function postgresReachable(): Promise<boolean> {
  const available = await postgresAvailability();
  if (available.ok) return true;
  console.warn(
    `${available.reason}: ` +
      (postgresRequired
        ? 'KEYPLANE_REQUIRE_POSTGRES=1, so the PostgreSQL tests run and fail'
        : 'the API suite runs on SQLite only and the PostgreSQL tests are skipped'),
  );
  return postgresRequired;
}

// The console's browser tests (web/e2e) run under Playwright, not vitest.
// Tests that need PostgreSQL whatever the backend under test are named *.pg.test.ts.
const postgresOnly = '**/*.pg.test.ts';
// Everything that starts a Keyplane: these run once per backend.
const apiSuite = ['src/http/**/*.test.ts', 'test/**/*.test.ts', 'src/audit/sinks.test.ts'];

export default defineConfig(async () => {
  const withPostgres = await postgresReachable();
  return {
    test: {
      // Two cores: a modest pool keeps suites from starving each other and the servers they start.
      maxWorkers: 2,
      testTimeout: 20_000,
      hookTimeout: 30_000,
      setupFiles: ['test/support/setup.ts'],
      reporters: process.env.KEYPLANE_TEST_REPORT ? ['default', 'json'] : ['default'],
      outputFile: process.env.KEYPLANE_TEST_REPORT ? { json: process.env.KEYPLANE_TEST_REPORT } : undefined,
      projects: [
        {
          extends: true,
          test: {
            name: 'sqlite',
            include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
            exclude: [postgresOnly, '**/node_modules/**', 'web/**'],
            env: { KEYPLANE_TEST_BACKEND: 'sqlite' },
          },
        },
        {
          extends: true,
          test: {
            name: 'postgres',
            include: withPostgres ? [...apiSuite, postgresOnly] : [postgresOnly],
            exclude: ['**/node_modules/**', 'web/**'],
            env: { KEYPLANE_TEST_BACKEND: 'postgres' },
          },
        },
      ],
    },
  };
});
