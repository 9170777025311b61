import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { knownMigrations, type OpenStoreOptions, openStore } from '../server.js';
import type { KyselyStore } from '../storage/kysely-store.js';
import { describeDatabase, scrubPasswords } from './database-url.js';
import { CliError } from './io.js';

export { knownMigrations };

/** Fails when the database was migrated by a newer Keyplane than this one. */
export function checkMigrationsKnown(applied: readonly string[], url: string): void {
  const unknown = applied.filter((name) => !knownMigrations.includes(name));
  if (unknown.length > 0) {
    throw new CliError(`${describeDatabase(url)} was migrated by a newer Keyplane (it has ${unknown.join(', ')}, which this version does not know)`, {
      suggestion: 'run the keyplane version that the database was last used with, or a later one',
    });
  }
}

/** Opens a database as the server does (migrating unless told not to); failures become one clear CliError. */
export async function openDatabase(url: string, what: string, options: Omit<OpenStoreOptions, 'logger'> = {}): Promise<KyselyStore> {
  try {
    return await openStore({ databaseUrl: url, databasePoolSize: 2 }, options);
  } catch (error) {
    throw databaseFailure(error, what, url);
  }
}

/**
 * Opens a Keyplane SQLite database that may only be read: SQLite itself refuses every write on
 * this connection, and no migration runs. The database must be fully migrated already, because
 * rows of an older schema may lack columns that the current one requires.
 */
export async function openSqliteReadOnly(path: string): Promise<KyselyStore> {
  if (!existsSync(path)) {
    throw new CliError(`there is no SQLite database at ${path}`, {
      suggestion: 'the server keeps it at <data dir>/keyplane.db (KEYPLANE_DATA_DIR, default ./.keyplane)',
    });
  }
  if (statSync(path).isDirectory()) {
    const inside = join(path, 'keyplane.db');
    throw new CliError(`${path} is a directory, not a SQLite database`, {
      ...(existsSync(inside) ? { suggestion: `did you mean ${inside}?` } : {}),
    });
  }
  const url = `sqlite:${path}`;
  const store = await openDatabase(url, 'the SQLite database', { readOnly: true });
  try {
    const applied = await store.appliedMigrations();
    if (applied === undefined) throw new CliError(`${path} is not a Keyplane database (it has no migration table)`);
    checkMigrationsKnown(applied, url);
    const missing = knownMigrations.filter((name) => !applied.includes(name));
    if (missing.length > 0) {
      throw new CliError(`${path} was last used by an older Keyplane: its schema lacks ${missing.join(', ')}`, {
        suggestion: `bring it up to date first with: keyplane db migrate --database-url ${url}`,
      });
    }
    return store;
  } catch (error) {
    await store.close();
    throw databaseFailure(error, 'the SQLite database', url);
  }
}

const SUGGESTIONS: Record<string, string> = {
  ECONNREFUSED: 'check the host and port in the URL, and that PostgreSQL is running',
  ENOTFOUND: 'check the host name in the URL',
  EAI_AGAIN: 'check the host name in the URL',
  ETIMEDOUT: 'check the host and port in the URL, and that PostgreSQL accepts connections from here',
  '3D000': 'create the database first (createdb, or CREATE DATABASE)',
  '28P01': 'check the user name and password in the URL',
  '28000': 'check the user name in the URL and pg_hba.conf',
  '42501': 'connect as a user that may create tables in the schema',
};

/** The driver's own error inside whatever wrapped it, with its code and a suggestion where one helps. */
export function rootCause(error: unknown, url: string): { detail: string; suggestion: string | undefined } {
  let root = error;
  for (;;) {
    if (root instanceof AggregateError && root.errors.length > 0) root = root.errors[0];
    else if (root instanceof Error && root.cause instanceof Error) root = root.cause;
    else break;
  }
  const code = (root as { code?: unknown } | null)?.code;
  const detail = scrubPasswords(root instanceof Error && root.message ? root.message : String(code ?? root), [url]);
  if (code === 'SQLITE_NOTADB') return { detail: 'the file is not a SQLite database', suggestion: undefined };
  if (detail.includes('no current schema')) return { detail, suggestion: 'create the schema first (CREATE SCHEMA …), or fix search_path in the URL' };
  return { detail, suggestion: typeof code === 'string' ? SUGGESTIONS[code] : undefined };
}

/** A database error as one line, the URL's password scrubbed, with a suggestion where one helps. */
export function databaseFailure(error: unknown, what: string, url: string): CliError {
  if (error instanceof CliError) return error;
  const { detail, suggestion } = rootCause(error, url);
  return new CliError(`cannot use ${what} ${describeDatabase(url)}: ${detail}`, { ...(suggestion ? { suggestion } : {}), cause: error });
}
