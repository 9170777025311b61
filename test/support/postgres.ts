import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';

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

/**
 * `describe` for tests that need PostgreSQL. When it is unreachable they are skipped with the
 * reason printed, unless KEYPLANE_REQUIRE_POSTGRES=1, when they run and fail.
 */
export async function describePostgres(name: string, body: () => void): Promise<void> {
  const available = await postgresAvailability();
  if (!available.ok && !postgresRequired) {
    console.warn(`skipping "${name}": ${available.reason}; set KEYPLANE_TEST_DATABASE_URL to run it`);
    describe.skip(name, body);
    return;
  }
  describe(name, body);
}

/** `url` with libpq's options parameter selecting `schema`. */
export function urlWithSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export interface TestSchema {
  name: string;
  /** A database URL whose connections use this schema. */
  url: string;
  drop(): Promise<void>;
}

/** A new, empty schema in the test database; `drop()` removes it and everything in it. */
export async function createTestSchema(): Promise<TestSchema> {
  const name = `kp_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create schema ${name}`);
  return {
    name,
    url: urlWithSchema(testDatabaseUrl, name),
    drop: () => adminQuery(`drop schema if exists ${name} cascade`),
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
