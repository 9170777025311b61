import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import { postgresAvailability, postgresRequired, testDatabaseUrl } from './postgres-probe.js';

export { postgresAvailability, postgresRequired, testDatabaseUrl } from './postgres-probe.js';

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
