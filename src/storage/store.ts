import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Database } from './schema.js';

export type TableName = keyof Database;
export type Row<T extends TableName> = Selectable<Database[T]>;
export type NewRow<T extends TableName> = Insertable<Database[T]>;
export type RowPatch<T extends TableName> = Updateable<Database[T]>;

/** Equality filters on columns; an array means "any of". An empty array matches nothing. */
export type ColumnFilter<T extends TableName> = { [K in keyof Row<T>]?: Row<T>[K] | readonly Row<T>[K][] };

/**
 * "Not at or after": each column is null or sorts before the value (columns hold RFC 3339 UTC
 * text, which sorts as time). `{ lastUsedAt: t }` is a key unused since `t`.
 */
export type NotSinceFilter<T extends TableName> = { [K in keyof Row<T>]?: NonNullable<Row<T>[K]> };

/**
 * A filter: the columns' conditions, with `notSince` also those columns' bounds, and with
 * `anyOf` also at least one of those filters (what a caller may see is often "owned by me, or
 * in a cluster I administer"). An empty `anyOf` matches nothing.
 */
export type Where<T extends TableName> = ColumnFilter<T> & {
  anyOf?: readonly ColumnFilter<T>[];
  notSince?: NotSinceFilter<T>;
  /** Rows whose column is at or after the value (text order, as stored times sort). */
  since?: NotSinceFilter<T>;
  /** Rows whose column is before the value. */
  before?: NotSinceFilter<T>;
  /** Rows whose text column starts with the value. */
  startsWith?: NotSinceFilter<T>;
};

/** Keyset position: lists are ordered by (createdAt, id). */
export interface Cursor {
  createdAt: string;
  id: string;
}

export interface PageRequest {
  limit: number;
  after?: Cursor | undefined;
  /** `false` skips counting the matches (one query less) where no caller shows the total. */
  total?: boolean;
  /** Newest first: descending (createdAt, id), and `after` continues downwards. */
  newestFirst?: boolean;
}

/**
 * Lists count the rows matching their filter up to this many; past it the total is left out, so
 * that reading a page costs the same however large the table grows.
 */
export const LIST_TOTAL_CAP = 10_000;

export interface Page<T> {
  items: T[];
  /** Rows matching the filter, across all pages; absent when there are more than LIST_TOTAL_CAP. */
  total?: number;
  /** Present when more rows follow. */
  next?: Cursor;
}

/** An insert collided with a unique constraint (primary key or unique column). */
export class UniqueViolation extends Error {
  constructor(readonly table: TableName) {
    super(`unique constraint violated on ${table}`);
    this.name = 'UniqueViolation';
  }
}

/**
 * The database could not be reached (refused, dropped, shutting down). Nothing the failed call
 * attempted was committed; the caller may retry once the database is back.
 */
export class StoreUnavailable extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the database is unreachable', options);
    this.name = 'StoreUnavailable';
  }
}

/** A driver error as one line: its code and message, which carry no query parameters. */
export function describeDriverError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message || error.name;
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

/** A message for every node: kept in the `notifications` table and sent live where the backend can. */
export type Notification = NewRow<'notifications'>;

export interface Subscription {
  /** Called once per message, on every node, after the publishing transaction commits. */
  onMessage(payload: string): void;
  /** Called when messages may have been missed (the live connection was lost and is back). */
  onGap?(): void;
}

/**
 * The port every backend implements. Services see only this: no SQL, no dialect. Every backend
 * passes the contract suite in store-contract.ts.
 */
export interface Store {
  /**
   * Runs `fn` in one transaction: all its writes land or none do. A nested call runs in a
   * savepoint of the outer transaction: its writes land only with the outer one, and when it
   * throws, only its writes are undone and the outer transaction can go on.
   */
  transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R>;
  /**
   * Serialises transactions that take the same key until they end, so a count-then-insert
   * (quotas) cannot race. Only meaningful inside a transaction.
   */
  lock(key: string): Promise<void>;
  /** Throws UniqueViolation when the row collides with an existing one. */
  insert<T extends TableName>(table: T, row: NewRow<T>): Promise<void>;
  /** Inserts the rows in as few statements as the backend allows; all or none land. */
  insertMany<T extends TableName>(table: T, rows: readonly NewRow<T>[]): Promise<void>;
  get<T extends TableName>(table: T, id: string): Promise<Row<T> | undefined>;
  /** The first row (by createdAt, id) matching the filter. */
  find<T extends TableName>(table: T, where: Where<T>): Promise<Row<T> | undefined>;
  /** Applies the patch and returns the row after it, or undefined when there is no such row. */
  update<T extends TableName>(table: T, id: string, patch: RowPatch<T>): Promise<Row<T> | undefined>;
  delete<T extends TableName>(table: T, id: string): Promise<boolean>;
  /** Deletes every matching row; returns the rows removed. */
  deleteWhere<T extends TableName>(table: T, where: Where<T>): Promise<Row<T>[]>;
  /** Deletes the rows created before `createdAt`; returns how many. */
  deleteCreatedBefore(table: TableName, createdAt: string): Promise<number>;
  list<T extends TableName>(table: T, where: Where<T>, page: PageRequest): Promise<Page<Row<T>>>;
  count<T extends TableName>(table: T, where: Where<T>): Promise<number>;
  /**
   * Adds each delta to its counter (creating counters that are missing) in one statement, and
   * returns the new values by id; a counter that reaches 0 is removed. Inside a transaction the
   * counters stay locked until it ends, so concurrent transactions adding to one counter see
   * each other's totals. Counters are locked in id order, so two such calls cannot deadlock.
   */
  addToCounters(deltas: ReadonlyMap<string, number>, now: string): Promise<Map<string, number>>;
  /**
   * Moves each key's `lastUsedAt` forward to the time given for it (RFC 3339 UTC, as stored), in
   * one statement: a key whose stored time is already as late or later keeps it, so nodes
   * writing in any order never move it back; an id with no key is skipped.
   */
  recordKeysUsed(times: ReadonlyMap<string, string>): Promise<void>;
  /**
   * Stores the notification and, once the transaction commits (at once outside one), delivers
   * its payload to this process's subscribers before returning, and to other nodes' over the
   * backend's live channel where it has one. A rolled-back transaction publishes nothing.
   */
  publish(notification: Notification): Promise<void>;
  /** Receives what any node publishes on `channel`; returns the function that unsubscribes. */
  subscribe(channel: string, subscription: Subscription): () => void;
  /** Whether the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
