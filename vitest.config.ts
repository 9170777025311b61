import pg from 'pg';
import { defineConfig } from 'vitest/config';

const testDatabaseUrl = process.env.KEYPLANE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the test PostgreSQL answers; when it does not, say so and why. */
async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch (error) {
    const required = process.env.KEYPLANE_REQUIRE_POSTGRES === '1';
    console.warn(
      `PostgreSQL at ${new URL(testDatabaseUrl).host} is unreachable (${(error as Error).message}): ` +
        (required
          ? 'KEYPLANE_REQUIRE_POSTGRES=1, so the PostgreSQL tests run and fail'
          : 'the API suite runs on SQLite only and the PostgreSQL tests are skipped'),
    );
    return required;
  } finally {
    await client.end().catch(() => {});
  }
}

// Tests that need PostgreSQL whatever the backend under test are named *.pg.test.ts.
const postgresOnly = '**/*.pg.test.ts';
// Everything that starts a Keyplane: these run once per backend.
const apiSuite = ['src/http/**/*.test.ts', 'test/**/*.test.ts'];

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
            exclude: [postgresOnly, '**/node_modules/**'],
            env: { KEYPLANE_TEST_BACKEND: 'sqlite' },
          },
        },
        {
          extends: true,
          test: {
            name: 'postgres',
            include: withPostgres ? [...apiSuite, postgresOnly] : [postgresOnly],
            exclude: ['**/node_modules/**'],
            env: { KEYPLANE_TEST_BACKEND: 'postgres' },
          },
        },
      ],
    },
  };
});
