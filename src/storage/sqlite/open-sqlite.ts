import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CamelCasePlugin, Kysely, type SqliteDatabase, SqliteDialect, type SqliteStatement } from 'kysely';
import { type Dialect, KyselyStore, migrateToLatest } from '../kysely-store.js';
import type { Database } from '../schema.js';

const sqliteDialect: Dialect = {
  name: 'sqlite',
  isUniqueViolation: (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },
  // The file is local: there is no connection to lose.
  isUnavailable: () => false,
  // One connection serves every query and holds it for a whole transaction, so transactions
  // never interleave: a count-then-insert is already atomic, and nothing can deadlock.
  isRetryable: () => false,
  lock: async () => {},
  // One process owns the file, so there are no other nodes to tell.
  notify: async () => {},
};

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query afresh; preparing costs more than running a lookup, so prepared
 * statements are kept by their SQL text. Reuse is safe because every call runs a statement to
 * completion synchronously before the next one can start on this connection.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement as unknown as SqliteStatement;
    },
  };
}

export interface SqliteOptions {
  /** Open an existing file that this connection may only read (SQLite refuses every write); no migration runs. */
  readOnly?: boolean;
  /** Skip migrating (implied by readOnly). */
  migrate?: boolean;
}

/**
 * Opens (creating when missing, unless read-only) an embedded SQLite database and migrates it.
 * `:memory:` gives a private in-memory database.
 */
export async function openSqliteStore(path: string, options: SqliteOptions = {}): Promise<KyselyStore> {
  const readOnly = options.readOnly === true;
  if (!readOnly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = new BetterSqlite3(path, readOnly ? { readonly: true, fileMustExist: true } : {});
  try {
    if (!readOnly) {
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
    }
    sqlite.pragma('foreign_keys = ON');
    // A server still running on the file may hold the write lock for a moment.
    sqlite.pragma('busy_timeout = 5000');
    // Fails here, not at the first query, when the file is not a database.
    sqlite.prepare('select count(*) from sqlite_master').get();
  } catch (error) {
    sqlite.close();
    throw error;
  }
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    plugins: [new CamelCasePlugin()],
  });
  if (!readOnly && options.migrate !== false) await migrateToLatest(db);
  return new KyselyStore(db, sqliteDialect);
}
