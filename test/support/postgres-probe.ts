import pg from 'pg';

// Kept free of Vitest imports: vitest.config.ts asks it too, before any test runs.

/** The server the PostgreSQL tests use; each test gets a schema of its own in it. */
export const testDatabaseUrl = process.env.KEYPLANE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Set by CI: a missing PostgreSQL fails the run instead of skipping its tests. */
export const postgresRequired = process.env.KEYPLANE_REQUIRE_POSTGRES === '1';

export type Availability = { ok: true } | { ok: false; reason: string };

let probe: Promise<Availability> | undefined;

/** Whether the test PostgreSQL answers; asked once per process. */
export function postgresAvailability(): Promise<Availability> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return { ok: true } as const;
    } catch (error) {
      const where = new URL(testDatabaseUrl).host;
      return { ok: false, reason: `PostgreSQL at ${where} is unreachable (${(error as Error).message})` } as const;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return probe;
}
