import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';
import {
  type Cursor,
  LIST_TOTAL_CAP,
  type NewRow,
  type Notification,
  type Page,
  type PageRequest,
  type Row,
  type RowPatch,
  type Store,
  StoreUnavailable,
  type Subscription,
  type TableName,
  UniqueViolation,
  type Where,
} from './store.js';

export interface LiveMessage {
  channel: string;
  payload: string;
}

/** What differs between SQL backends; everything else is shared Kysely code. */
export interface Dialect {
  name: 'sqlite' | 'postgres';
  isUniqueViolation(error: unknown): boolean;
  /** The database could not be reached: refused, dropped, shutting down. */
  isUnavailable(error: unknown): boolean;
  /** The transaction lost a deadlock or serialisation conflict and may simply be run again. */
  isRetryable(error: unknown): boolean;
  /** Takes a transaction-scoped lock on `key`; a backend that serialises writers may do nothing. */
  lock(trx: Kysely<Database>, key: string): Promise<void>;
  /** Runs the migrations where the backend wants them run; by default on the store's own connection. */
  migrate?(): Promise<string[]>;
  /** Sends a message to other nodes when `trx` commits; a single-node backend does nothing. */
  notify(trx: Kysely<Database>, message: LiveMessage): Promise<void>;
  /**
   * Starts receiving other nodes' messages; returns the function that stops. `onGap` is called
   * whenever messages may have been lost (after a reconnect). A single-node backend omits this.
   */
  listen?(deliver: (message: LiveMessage) => void, onGap: () => void): () => Promise<void>;
}

/** Subscriptions of this process, shared by a store and the stores of its transactions. */
class Hub {
  readonly subscriptions = new Map<string, Set<Subscription>>();
  stopListening: (() => Promise<void>) | undefined;

  deliver(message: LiveMessage): void {
    for (const subscription of this.subscriptions.get(message.channel) ?? []) subscription.onMessage(message.payload);
  }

  gap(): void {
    for (const set of this.subscriptions.values()) for (const subscription of set) subscription.onGap?.();
  }
}

const RETRIES = 3;

/** Savepoint names, unique within the process. */
let savepoints = 0;

// Kysely's builders are typed per table; a Store method is generic over every table, so the
// builders are used untyped inside and the Store signature carries the types.
// biome-ignore lint/suspicious/noExplicitAny: see above.
type AnyDb = Kysely<any>;

/** One Store over any Kysely dialect. */
export class KyselyStore implements Store {
  private readonly any: AnyDb;

  /**
   * @param outbox messages published inside the transaction this store runs in, delivered to
   *   this process's subscribers after it commits; absent outside a transaction.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly hub = new Hub(),
    private readonly outbox?: LiveMessage[],
    /** The PostgreSQL schema the store lives in; undefined for SQLite. */
    private readonly schema?: string,
  ) {
    this.any = db as AnyDb;
  }

  private get inTransaction(): boolean {
    return this.outbox !== undefined;
  }

  async transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R> {
    if (this.inTransaction) return this.savepoint(fn);
    for (let attempt = 1; ; attempt++) {
      const outbox: LiveMessage[] = [];
      try {
        const result = await this.db.transaction().execute((trx) => fn(new KyselyStore(trx, this.dialect, this.hub, outbox)));
        for (const message of outbox) this.hub.deliver(message);
        return result;
      } catch (error) {
        if (attempt < RETRIES && this.dialect.isRetryable(error)) continue;
        throw this.translate(error);
      }
    }
  }

  /**
   * A nested transaction: a savepoint of the outer one. Its writes land with the outer
   * transaction; when it fails, only its own writes (and messages) are undone and the outer
   * transaction goes on, on PostgreSQL too, where an error would otherwise abort it whole.
   */
  private async savepoint<R>(fn: (tx: Store) => Promise<R>): Promise<R> {
    const name = `keyplane_${++savepoints}`;
    const outbox = this.outbox!;
    const published = outbox.length;
    await sql.raw(`savepoint ${name}`).execute(this.db);
    try {
      const result = await fn(this);
      await sql.raw(`release savepoint ${name}`).execute(this.db);
      return result;
    } catch (error) {
      await sql.raw(`rollback to savepoint ${name}`).execute(this.db);
      await sql.raw(`release savepoint ${name}`).execute(this.db);
      outbox.length = published;
      throw error;
    }
  }

  /** Outside a transaction, turns a lost connection into StoreUnavailable; inside, the transaction does. */
  private async guard<R>(run: () => Promise<R>): Promise<R> {
    if (this.inTransaction) return run();
    try {
      return await run();
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    if (error instanceof StoreUnavailable || !this.dialect.isUnavailable(error)) return error;
    return new StoreUnavailable({ cause: error });
  }

  /** Awaits a write, turning the backend's unique-constraint error into UniqueViolation. */
  private async unique<R>(table: TableName, write: Promise<R>): Promise<R> {
    try {
      return await write;
    } catch (error) {
      if (this.dialect.isUniqueViolation(error)) throw new UniqueViolation(table);
      throw error;
    }
  }

  async lock(key: string): Promise<void> {
    if (this.inTransaction) await this.dialect.lock(this.db, key);
  }

  async insert<T extends TableName>(table: T, row: NewRow<T>): Promise<void> {
    await this.guard(() => this.unique(table, this.any.insertInto(table as string).values(row).execute()));
  }

  async insertMany<T extends TableName>(table: T, rows: readonly NewRow<T>[]): Promise<void> {
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]!).length;
    // Both backends cap bound parameters per statement (SQLite 32766, PostgreSQL 65535).
    const perStatement = Math.max(1, Math.floor(30_000 / columns));
    await this.transaction(async (tx) => {
      const any = (tx as KyselyStore).any;
      for (let i = 0; i < rows.length; i += perStatement) {
        await this.unique(table, any.insertInto(table as string).values(rows.slice(i, i + perStatement) as NewRow<T>[]).execute());
      }
    });
  }

  async get<T extends TableName>(table: T, id: string): Promise<Row<T> | undefined> {
    return this.guard(
      async () =>
        (await this.any.selectFrom(table as string).selectAll().where('id', '=', id).executeTakeFirst()) as Row<T> | undefined,
    );
  }

  async find<T extends TableName>(table: T, where: Where<T>): Promise<Row<T> | undefined> {
    const query = applyWhere(this.any.selectFrom(table as string).selectAll(), where);
    return this.guard(
      async () => (await query.orderBy('createdAt').orderBy('id').limit(1).executeTakeFirst()) as Row<T> | undefined,
    );
  }

  async update<T extends TableName>(table: T, id: string, patch: RowPatch<T>): Promise<Row<T> | undefined> {
    const hasChanges = Object.values(patch).some((v) => v !== undefined);
    if (hasChanges) {
      const query = this.any.updateTable(table as string).set(patch as Record<string, unknown>).where('id', '=', id);
      await this.guard(() => this.unique(table, query.execute()));
    }
    return this.get(table, id);
  }

  async delete<T extends TableName>(table: T, id: string): Promise<boolean> {
    const result = await this.guard(() => this.any.deleteFrom(table as string).where('id', '=', id).executeTakeFirst());
    return Number(result.numDeletedRows) > 0;
  }

  async deleteWhere<T extends TableName>(table: T, where: Where<T>): Promise<Row<T>[]> {
    const query = applyWhere(this.any.deleteFrom(table as string), where).returningAll();
    return (await this.guard(() => query.execute())) as Row<T>[];
  }

  async addToCounters(deltas: ReadonlyMap<string, number>, now: string): Promise<Map<string, number>> {
    const rows = [...deltas]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, delta]) => ({ id, value: delta, createdAt: now }));
    if (rows.length === 0) return new Map();
    return this.guard(async () => {
      const after = await this.db
        .insertInto('counters')
        .values(rows)
        .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ value: eb('counters.value', '+', eb.ref('excluded.value')) })))
        .returning(['id', 'value'])
        .execute();
      const values = new Map(after.map((r) => [r.id, Number(r.value)]));
      const spent = [...values].filter(([, value]) => value === 0).map(([id]) => id);
      if (spent.length > 0) await this.db.deleteFrom('counters').where('id', 'in', spent).execute();
      return values;
    });
  }

  async recordKeysUsed(times: ReadonlyMap<string, string>): Promise<void> {
    if (times.size === 0) return;
    // One parameter however many keys: a JSON object of id → time, unpacked by the database. The
    // statement text never changes, so SQLite prepares it once. Ids go in sorted so that
    // PostgreSQL nodes writing overlapping batches tend to lock rows in one order; a deadlock
    // that happens anyway is retried by transaction().
    const json = JSON.stringify(Object.fromEntries([...times].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
    const pairs = this.dialect.name === 'postgres' ? sql`json_each_text(${json}::json)` : sql`json_each(${json})`;
    // The row is re-read under its lock before the comparison (PostgreSQL re-checks the condition
    // on the latest version), so a later time written meanwhile by another node is kept.
    const statement = sql`update api_keys set last_used_at = j.value from ${pairs} as j
      where api_keys.id = j.key and (api_keys.last_used_at is null or api_keys.last_used_at < j.value)`;
    await this.transaction(async (tx) => {
      await statement.execute((tx as KyselyStore).db);
    });
  }

  async deleteCreatedBefore(table: TableName, createdAt: string): Promise<number> {
    const query = this.any.deleteFrom(table).where('createdAt', '<', createdAt);
    return Number((await this.guard(() => query.executeTakeFirst())).numDeletedRows);
  }

  async publish(notification: Notification): Promise<void> {
    const message = { channel: notification.channel, payload: notification.payload };
    if (!this.inTransaction) {
      await this.transaction((tx) => tx.publish(notification));
      return;
    }
    await this.insert('notifications', notification);
    await this.dialect.notify(this.db, message);
    this.outbox?.push(message);
  }

  subscribe(channel: string, subscription: Subscription): () => void {
    const set = this.hub.subscriptions.get(channel) ?? new Set<Subscription>();
    this.hub.subscriptions.set(channel, set);
    set.add(subscription);
    if (this.dialect.listen && !this.hub.stopListening) {
      this.hub.stopListening = this.dialect.listen(
        (message) => this.hub.deliver(message),
        () => this.hub.gap(),
      );
    }
    return () => {
      set.delete(subscription);
    };
  }

  async list<T extends TableName>(table: T, where: Where<T>, page: PageRequest): Promise<Page<Row<T>>> {
    return this.guard(() => this.listPage(table, where, page));
  }

  private async listPage<T extends TableName>(table: T, where: Where<T>, page: PageRequest): Promise<Page<Row<T>>> {
    let query = applyWhere(this.any.selectFrom(table as string).selectAll(), where);
    const after = page.after;
    if (after) {
      // A row-value comparison is what lets both databases seek in the (…, created_at, id) index;
      // the equivalent OR of two conditions makes them scan from the start of the set.
      query = query.where((eb) => eb(eb.refTuple('createdAt', 'id'), page.newestFirst ? '<' : '>', eb.tuple(after.createdAt, after.id)));
    }
    const direction = page.newestFirst ? 'desc' : 'asc';
    const rows = (await query
      .orderBy('createdAt', direction)
      .orderBy('id', direction)
      .limit(page.limit + 1)
      .execute()) as Row<T>[];
    const items = rows.slice(0, page.limit);
    const last = items.at(-1) as { createdAt: string; id: string } | undefined;
    const next: Cursor | undefined = rows.length > page.limit && last ? { createdAt: last.createdAt, id: last.id } : undefined;
    if (page.total === false) return { items, ...(next ? { next } : {}) };
    const total = await this.countUpTo(table, where, LIST_TOTAL_CAP);
    return { items, ...(total <= LIST_TOTAL_CAP ? { total } : {}), ...(next ? { next } : {}) };
  }

  /** Counts matching rows, stopping one past `cap`. */
  private async countUpTo<T extends TableName>(table: T, where: Where<T>, cap: number): Promise<number> {
    const capped = applyWhere(this.any.selectFrom(table as string).select(sql<number>`1`.as('one')), where).limit(cap + 1);
    const row = await this.any.selectFrom(capped.as('capped')).select(sql<number>`count(*)`.as('n')).executeTakeFirst();
    return Number((row as { n: number | string | bigint } | undefined)?.n ?? 0);
  }

  async count<T extends TableName>(table: T, where: Where<T>): Promise<number> {
    const query = applyWhere(this.any.selectFrom(table as string).select(sql<number>`count(*)`.as('n')), where);
    const row = await this.guard(() => query.executeTakeFirst());
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

  /** Brings the schema up to date; returns the migrations it applied, in order. */
  async migrate(): Promise<string[]> {
    return this.guard(() => (this.dialect.migrate ? this.dialect.migrate() : migrateToLatest(this.db, this.schema)));
  }

  /**
   * The migrations this database has applied, read without writing; undefined when it has no
   * migration table at all (empty, or not a Keyplane database).
   */
  async appliedMigrations(): Promise<string[] | undefined> {
    const tables = await this.guard(() => this.db.introspection.getTables({ withInternalKyselyTables: true }));
    const own = tables.some((t) => t.name === MIGRATION_TABLE && (this.schema === undefined || t.schema === this.schema));
    if (!own) return undefined;
    const table = this.schema ? `${this.schema}.${MIGRATION_TABLE}` : MIGRATION_TABLE;
    const rows = await this.guard(() => this.any.selectFrom(table).select('name').orderBy('name').execute());
    return rows.map((r) => String(r.name));
  }

  async close(): Promise<void> {
    const stop = this.hub.stopListening;
    this.hub.stopListening = undefined;
    this.hub.subscriptions.clear();
    await stop?.();
    // A hung database would hold connections forever; a node that is stopping does not wait for it.
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<void>((done) => {
      timer = setTimeout(done, 5000);
      timer.unref();
    });
    await Promise.race([this.db.destroy(), patience]);
    clearTimeout(timer);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a Kysely builder of any table; the caller keeps its type.
function applyWhere<Q extends { where: (...args: any[]) => any }>(query: Q, where: Record<string, unknown>): Q {
  const { anyOf, notSince, since, before, startsWith, ...columns } = where as Record<string, unknown> & {
    anyOf?: Record<string, unknown>[];
    notSince?: Record<string, unknown>;
    since?: Record<string, unknown>;
    before?: Record<string, unknown>;
    startsWith?: Record<string, unknown>;
  };
  let q = query.where((eb: AnyEb) => columnConditions(eb, columns));
  if (anyOf !== undefined) q = q.where((eb: AnyEb) => eb.or(anyOf.map((filter) => columnConditions(eb, filter))));
  for (const [column, bound] of Object.entries(notSince ?? {})) {
    if (bound === undefined) continue;
    q = q.where((eb: AnyEb) => eb.or([eb(column, 'is', null), eb(column, '<', bound)]));
  }
  for (const [column, bound] of Object.entries(since ?? {})) if (bound !== undefined) q = q.where(column, '>=', bound);
  for (const [column, bound] of Object.entries(before ?? {})) if (bound !== undefined) q = q.where(column, '<', bound);
  for (const [column, prefix] of Object.entries(startsWith ?? {})) {
    if (prefix === undefined) continue;
    // A comparison of the first characters rather than LIKE: no wildcard to escape, the same case
    // rules on both backends, and no dependence on the database's collation.
    const length = [...String(prefix)].length;
    q = q.where((eb: AnyEb) => eb(eb.fn('substr', [eb.ref(column), eb.lit(1), eb.lit(length)]), '=', prefix));
  }
  return q;
}

// biome-ignore lint/suspicious/noExplicitAny: conditions on any table's columns, as above.
type AnyEb = ExpressionBuilder<any, any>;

function columnConditions(eb: AnyEb, columns: Record<string, unknown>): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  for (const [column, value] of Object.entries(columns)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      conditions.push(value.length === 0 ? sql<SqlBool>`1 = 0` : eb(column, 'in', value));
    } else if (value === null) {
      conditions.push(eb(column, 'is', null));
    } else {
      conditions.push(eb(column, '=', value));
    }
  }
  return eb.and(conditions);
}

/** Every migration this version knows, in the order they run. */
export const knownMigrations: readonly string[] = Object.keys(migrations).sort();

const MIGRATION_TABLE = 'kysely_migration';

/**
 * Brings the schema up to date. `schema` names where the migration bookkeeping lives, so that
 * other schemas in the same PostgreSQL database are not mistaken for this one.
 */
export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
