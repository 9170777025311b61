import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CamelCasePlugin, Kysely, SqliteDialect } from 'kysely';
import { type Dialect, KyselyStore, migrateToLatest } from '../kysely-store.js';
import type { Database } from '../schema.js';

const sqliteDialect: Dialect = {
  name: 'sqlite',
  isUniqueViolation: (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },
  // One connection serves every query and holds it for a whole transaction, so transactions
  // never interleave: a count-then-insert is already atomic.
  lock: async () => {},
};

/**
 * Opens (creating when missing) an embedded SQLite database and migrates it. `:memory:` gives a
 * private in-memory database.
 */
export async function openSqliteStore(path: string): Promise<KyselyStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    plugins: [new CamelCasePlugin()],
  });
  await migrateToLatest(db);
  return new KyselyStore(db, sqliteDialect);
}
