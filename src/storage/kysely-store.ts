import { type Kysely, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';
import {
  type Cursor,
  type NewRow,
  type Page,
  type PageRequest,
  type Row,
  type RowPatch,
  type Store,
  type TableName,
  UniqueViolation,
  type Where,
} from './store.js';

/** What differs between SQL backends; everything else is shared Kysely code. */
export interface Dialect {
  name: 'sqlite' | 'postgres';
  isUniqueViolation(error: unknown): boolean;
  /** Takes a transaction-scoped lock on `key`; a backend that serialises writers may do nothing. */
  lock(trx: Kysely<Database>, key: string): Promise<void>;
}

// Kysely's builders are typed per table; a Store method is generic over every table, so the
// builders are used untyped inside and the Store signature carries the types.
// biome-ignore lint/suspicious/noExplicitAny: see above.
type AnyDb = Kysely<any>;

/** One Store over any Kysely dialect. */
export class KyselyStore implements Store {
  private readonly any: AnyDb;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly inTransaction = false,
  ) {
    this.any = db as AnyDb;
  }

  async transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R> {
    if (this.inTransaction) return fn(this);
    return this.db.transaction().execute((trx) => fn(new KyselyStore(trx, this.dialect, true)));
  }

  async lock(key: string): Promise<void> {
    if (this.inTransaction) await this.dialect.lock(this.db, key);
  }

  async insert<T extends TableName>(table: T, row: NewRow<T>): Promise<void> {
    try {
      await this.any.insertInto(table as string).values(row).execute();
    } catch (error) {
      if (this.dialect.isUniqueViolation(error)) throw new UniqueViolation(table);
      throw error;
    }
  }

  async get<T extends TableName>(table: T, id: string): Promise<Row<T> | undefined> {
    return (await this.any.selectFrom(table as string).selectAll().where('id', '=', id).executeTakeFirst()) as Row<T> | undefined;
  }

  async find<T extends TableName>(table: T, where: Where<T>): Promise<Row<T> | undefined> {
    const query = applyWhere(this.any.selectFrom(table as string).selectAll(), where);
    return (await query.orderBy('createdAt').orderBy('id').limit(1).executeTakeFirst()) as Row<T> | undefined;
  }

  async update<T extends TableName>(table: T, id: string, patch: RowPatch<T>): Promise<Row<T> | undefined> {
    const hasChanges = Object.values(patch).some((v) => v !== undefined);
    if (hasChanges) {
      try {
        await this.any.updateTable(table as string).set(patch as Record<string, unknown>).where('id', '=', id).execute();
      } catch (error) {
        if (this.dialect.isUniqueViolation(error)) throw new UniqueViolation(table);
        throw error;
      }
    }
    return this.get(table, id);
  }

  async delete<T extends TableName>(table: T, id: string): Promise<boolean> {
    const result = await this.any.deleteFrom(table as string).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteWhere<T extends TableName>(table: T, where: Where<T>): Promise<number> {
    const result = await applyWhere(this.any.deleteFrom(table as string), where).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async list<T extends TableName>(table: T, where: Where<T>, page: PageRequest): Promise<Page<Row<T>>> {
    let query = applyWhere(this.any.selectFrom(table as string).selectAll(), where);
    const after = page.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('createdAt', '>', after.createdAt),
          eb.and([eb('createdAt', '=', after.createdAt), eb('id', '>', after.id)]),
        ]),
      );
    }
    const rows = (await query
      .orderBy('createdAt')
      .orderBy('id')
      .limit(page.limit + 1)
      .execute()) as Row<T>[];
    const total = await this.count(table, where);
    const items = rows.slice(0, page.limit);
    const last = items.at(-1) as { createdAt: string; id: string } | undefined;
    const next: Cursor | undefined = rows.length > page.limit && last ? { createdAt: last.createdAt, id: last.id } : undefined;
    return next ? { items, total, next } : { items, total };
  }

  async count<T extends TableName>(table: T, where: Where<T>): Promise<number> {
    const row = await applyWhere(this.any.selectFrom(table as string).select(sql<number>`count(*)`.as('n')), where).executeTakeFirst();
    return Number((row as { n: number | string | bigint } | undefined)?.n ?? 0);
  }

  async ping(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a Kysely builder of any table; the caller keeps its type.
function applyWhere<Q extends { where: (...args: any[]) => any }>(query: Q, where: Record<string, unknown>): Q {
  let q = query;
  for (const [column, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      q = value.length === 0 ? q.where(sql`1 = 0`) : q.where(column, 'in', value);
    } else if (value === null) {
      q = q.where(column, 'is', null);
    } else {
      q = q.where(column, '=', value);
    }
  }
  return q;
}

/** Brings the schema up to date. */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}
