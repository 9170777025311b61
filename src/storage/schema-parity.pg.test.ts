import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { expect, it } from 'vitest';
import { createTestSchema, describePostgres } from '../../test/support/postgres.js';
import { openPostgresStore } from './postgres/open-postgres.js';
import { openSqliteStore } from './sqlite/open-sqlite.js';

/** A dialect-neutral description of a migrated schema. */
interface SchemaShape {
  tables: Record<
    string,
    {
      columns: Record<string, { type: string; notNull: boolean }>;
      primaryKey: string[];
      /** Column lists of UNIQUE constraints (not counting the primary key). */
      uniques: string[][];
      /** Indexes created by name: name → columns and uniqueness. */
      indexes: Record<string, { columns: string[]; unique: boolean }>;
      foreignKeys: string[];
    }
  >;
}

// Kysely's own bookkeeping differs by dialect and is not part of Keyplane's schema.
const ignored = new Set(['kysely_migration', 'kysely_migration_lock']);

function sqliteShape(path: string): SchemaShape {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    const shape: SchemaShape = { tables: {} };
    const tables = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as {
      name: string;
    }[];
    for (const { name } of tables) {
      if (ignored.has(name)) continue;
      const columns = db.pragma(`table_info(${name})`) as { name: string; type: string; notnull: number; pk: number }[];
      const indexList = db.pragma(`index_list(${name})`) as { name: string; unique: number; origin: string }[];
      const indexColumns = (index: string) => (db.pragma(`index_info(${index})`) as { name: string }[]).map((c) => c.name);
      const fks = db.pragma(`foreign_key_list(${name})`) as { from: string; table: string; to: string }[];
      shape.tables[name] = {
        // SQLite lets a non-INTEGER primary key hold NULL for historic reasons; PostgreSQL does not.
        // Keyplane never writes a NULL id, so a primary-key column counts as NOT NULL on both.
        columns: Object.fromEntries(columns.map((c) => [c.name, { type: c.type.toLowerCase(), notNull: c.notnull === 1 || c.pk > 0 }])),
        primaryKey: columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
        uniques: indexList.filter((i) => i.origin === 'u').map((i) => indexColumns(i.name)).sort(),
        indexes: Object.fromEntries(
          indexList.filter((i) => i.origin === 'c').map((i) => [i.name, { columns: indexColumns(i.name), unique: i.unique === 1 }]),
        ),
        foreignKeys: fks.map((f) => `${f.from} -> ${f.table}.${f.to}`).sort(),
      };
    }
    return shape;
  } finally {
    db.close();
  }
}

async function postgresShape(url: string, schema: string): Promise<SchemaShape> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const shape: SchemaShape = { tables: {} };
    const columns = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
      `select table_name, column_name, data_type, is_nullable from information_schema.columns
       where table_schema = $1 order by table_name, ordinal_position`,
      [schema],
    );
    for (const c of columns.rows) {
      if (ignored.has(c.table_name)) continue;
      shape.tables[c.table_name] ??= { columns: {}, primaryKey: [], uniques: [], indexes: {}, foreignKeys: [] };
      shape.tables[c.table_name]!.columns[c.column_name] = { type: c.data_type, notNull: c.is_nullable === 'NO' };
    }
    // Every index with its columns in order, and the constraint (p, u, or none) it backs.
    const indexes = await client.query<{ table: string; index: string; unique: boolean; columns: string[]; constraint: string | null }>(
      `select t.relname as table, i.relname as index, x.indisunique as unique,
              array(select a.attname::text from unnest(x.indkey) with ordinality k(attnum, n)
                    join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum order by k.n) as columns,
              c.contype as constraint
       from pg_index x
       join pg_class i on i.oid = x.indexrelid
       join pg_class t on t.oid = x.indrelid
       join pg_namespace ns on ns.oid = t.relnamespace
       left join pg_constraint c on c.conindid = x.indexrelid and c.conrelid = t.oid and c.contype in ('p', 'u')
       where ns.nspname = $1`,
      [schema],
    );
    for (const i of indexes.rows) {
      const table = shape.tables[i.table];
      if (!table) continue;
      if (i.constraint === 'p') table.primaryKey = i.columns;
      else if (i.constraint === 'u') table.uniques.push(i.columns);
      else table.indexes[i.index] = { columns: i.columns, unique: i.unique };
    }
    for (const table of Object.values(shape.tables)) table.uniques.sort();
    const fks = await client.query<{ table: string; from: string; to_table: string; to: string }>(
      `select kcu.table_name as table, kcu.column_name as from, ccu.table_name as to_table, ccu.column_name as to
       from information_schema.table_constraints tc
       join information_schema.key_column_usage kcu on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
       join information_schema.constraint_column_usage ccu on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema
       where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = $1`,
      [schema],
    );
    for (const f of fks.rows) shape.tables[f.table]?.foreignKeys.push(`${f.from} -> ${f.to_table}.${f.to}`);
    for (const table of Object.values(shape.tables)) table.foreignKeys.sort();
    return shape;
  } finally {
    await client.end();
  }
}

await describePostgres('schema parity', () => {
  it('gives SQLite and PostgreSQL the same tables, columns, nullability, keys and indexes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyplane-parity-'));
    const schema = await createTestSchema();
    try {
      const sqlitePath = join(dir, 'parity.db');
      await (await openSqliteStore(sqlitePath)).close();
      await (await openPostgresStore(schema.url)).close();
      const lite = sqliteShape(sqlitePath);
      const post = await postgresShape(schema.url, schema.name);
      expect(Object.keys(lite.tables).length).toBeGreaterThan(5);
      expect(Object.keys(post.tables).sort()).toEqual(Object.keys(lite.tables).sort());
      for (const name of Object.keys(lite.tables)) expect(post.tables[name], `table ${name}`).toEqual(lite.tables[name]);
    } finally {
      await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
