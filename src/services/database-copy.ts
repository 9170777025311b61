import type { Cursor, NewRow, Store, TableName } from '../storage/store.js';

/**
 * The tables a copy moves, parents before children. Notifications are not among them: they are
 * messages between running nodes, useless to a database that no node has served yet. Nor are
 * console sessions: they are short-lived, and signing in again is the safe way to move.
 */
export const COPIED_TABLES = [
  'organizations',
  'environments',
  'users',
  'invitations',
  'serviceAccounts',
  'resources',
  'apiKeys',
  'roleBindings',
  'kafkaAcls',
  'counters',
  'auditEvents',
  'auditChains',
] as const satisfies readonly TableName[];

export type CopiedTable = (typeof COPIED_TABLES)[number];

export const DEFAULT_COPY_PAGE_SIZE = 1000;

export interface CopyProgress {
  table: CopiedTable;
  /** Rows of this table written so far. */
  copied: number;
  /** Rows of this table in the source. */
  total: number;
  /** This table is complete. */
  done: boolean;
}

export interface TableRows {
  table: CopiedTable;
  rows: number;
}

export interface TableComparison {
  table: CopiedTable;
  source: number;
  destination: number;
}

export type DatabaseCopyResult =
  /** `verified` is false when a table's row count differs between source and destination. */
  | { ok: true; tables: TableComparison[]; verified: boolean }
  /** The destination already holds rows; nothing was written to it. */
  | { ok: false; reason: 'destination_not_empty'; occupied: TableRows[] }
  /** The source has no organization: it was never set up, so there is nothing to move. */
  | { ok: false; reason: 'source_empty' };

export interface CopyOptions {
  /** Rows read and written per batch (default 1000). */
  pageSize?: number;
  /** Told when each table starts, after each batch, and when each table is done. */
  onProgress?: (progress: CopyProgress) => void;
}

/** Rows per copied table, in copy order. */
export async function countCopiedTables(store: Store): Promise<TableRows[]> {
  const counts: TableRows[] = [];
  for (const table of COPIED_TABLES) counts.push({ table, rows: await store.count(table, {}) });
  return counts;
}

/** What a copy would move and whether the destination would take it, without writing anything. */
export async function inspectDatabaseCopy(
  source: Store,
  destination: Store,
): Promise<{ source: TableRows[]; occupied: TableRows[] }> {
  const counts = await countCopiedTables(source);
  const occupied = (await countCopiedTables(destination)).filter((t) => t.rows > 0);
  return { source: counts, occupied };
}

/**
 * Copies every Keyplane row from `source` into an empty `destination`, then compares row counts.
 * Rows are copied as they are, secret hashes included, so keys keep their secrets wherever the
 * same pepper is used. The source is only read, inside one transaction so that the copy is one
 * consistent snapshot of it. The destination is written in one transaction: a copy that fails
 * part-way leaves it as empty as it was, and the copy can simply be run again.
 */
export async function copyDatabase(source: Store, destination: Store, options: CopyOptions = {}): Promise<DatabaseCopyResult> {
  const pageSize = options.pageSize ?? DEFAULT_COPY_PAGE_SIZE;
  const report = options.onProgress ?? (() => {});
  const copied = await source.transaction(async (src) => {
    const totals = await countCopiedTables(src);
    if (totals.find((t) => t.table === 'organizations')?.rows === 0) return { ok: false, reason: 'source_empty' } as const;
    const refused = await destination.transaction(async (dst) => {
      // A node starting on the destination meanwhile bootstraps under this lock; holding it makes
      // that node wait, then find the copied organization instead of creating a second one.
      await dst.lock('bootstrap');
      const occupied = (await countCopiedTables(dst)).filter((t) => t.rows > 0);
      if (occupied.length > 0) return { ok: false, reason: 'destination_not_empty', occupied } as const;
      for (const { table, rows } of totals) await copyTable(src, dst, table, rows, pageSize, report);
      return undefined;
    });
    if (refused) return refused;
    return { ok: true, source: await countCopiedTables(src) } as const;
  });
  if (!copied.ok) return copied;
  const after = await countCopiedTables(destination);
  const tables = copied.source.map(({ table, rows }, i) => ({ table, source: rows, destination: after[i]?.rows ?? 0 }));
  return { ok: true, tables, verified: tables.every((t) => t.source === t.destination) };
}

async function copyTable<T extends CopiedTable>(
  src: Store,
  dst: Store,
  table: T,
  total: number,
  pageSize: number,
  report: (progress: CopyProgress) => void,
): Promise<void> {
  let copied = 0;
  let after: Cursor | undefined;
  report({ table, copied, total, done: false });
  do {
    const page = await src.list(table, {}, { limit: pageSize, after });
    await dst.insertMany(table, page.items as NewRow<T>[]);
    copied += page.items.length;
    after = page.next;
    report({ table, copied, total, done: after === undefined });
  } while (after);
}
