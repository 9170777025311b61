import { randomUUID } from 'node:crypto';
import {
  CamelCasePlugin,
  type DatabaseIntrospector,
  type Kysely as KyselyType,
  Kysely,
  PostgresDialect,
  type PostgresDialectConfig,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely';
import pg from 'pg';
import { type Dialect, KyselyStore, type LiveMessage, migrateToLatest } from '../kysely-store.js';
import type { Database } from '../schema.js';

export interface PostgresOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Skip migrating (for tools that only read, or migrate explicitly). */
  migrate?: boolean;
  /**
   * How long one query may wait for the server before the call gives up with StoreUnavailable
   * (default 5000 ms), so that a hung or cut-off database answers 503 instead of hanging.
   * Migrations run on a connection of their own without this limit.
   */
  queryTimeoutMs?: number;
  /** Told about connection trouble that the store absorbs (idle connections dropped, listener reconnecting). */
  onWarning?: (message: string, error?: unknown) => void;
}

/** SQLSTATE classes and socket errors that mean "the server is not there", not "the query is wrong". */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection closed',
  'Query read timeout',
];

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isUnavailable(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  const code = errorCode(error);
  if (code && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))) return true;
  const message = error instanceof Error ? error.message : '';
  return UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}

/** The name other nodes LISTEN on: one per schema, so that databases shared by schema stay apart. */
function channelFor(schema: string): string {
  return `keyplane:${schema}`;
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * One dedicated connection LISTENs for other nodes' messages. When it drops, it reconnects with
 * back-off and reports a gap, because whatever was sent meanwhile is lost to it.
 */
function listener(
  config: pg.ClientConfig,
  channel: string,
  origin: string,
  deliver: (message: LiveMessage) => void,
  onGap: () => void,
  warn: (message: string, error?: unknown) => void,
): () => Promise<void> {
  let client: pg.Client | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = 250;
  let connectedBefore = false;

  const connect = async () => {
    if (stopped) return;
    const next = new pg.Client(config);
    const retry = (error?: unknown) => {
      if (stopped || client !== next) return;
      client = undefined;
      next.removeAllListeners('notification');
      next.end().catch(() => {});
      warn('database listener lost; reconnecting', error);
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 5000);
    };
    client = next;
    next.on('error', retry);
    next.on('end', () => retry());
    next.on('notification', (n) => {
      // origin \n channel \n payload; this node delivered its own messages when they committed.
      const [from, name, ...rest] = (n.payload ?? '').split('\n');
      if (from !== origin && name && rest.length > 0) deliver({ channel: name, payload: rest.join('\n') });
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${quoteIdentifier(channel)}`);
      delay = 250;
      // Anything sent before the first LISTEN predates this node's cache; later gaps do not.
      if (connectedBefore) onGap();
      connectedBefore = true;
    } catch (error) {
      retry(error);
    }
  };
  void connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    const current = client;
    client = undefined;
    await current?.end().catch(() => {});
  };
}

/**
 * Opens a PostgreSQL store at `url` (postgres://…; libpq's `options=-c search_path=…` selects a
 * schema) and, unless told not to, migrates it. Migrations take an advisory lock, so nodes that
 * start together run them once.
 */
export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<KyselyStore> {
  const warn = options.onWarning ?? (() => {});
  const config: pg.PoolConfig = {
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    query_timeout: options.queryTimeoutMs ?? 5000,
    keepAlive: true,
  };
  const pool = new pg.Pool(config);
  // An idle connection that the server drops emits here; without a listener it would crash the process.
  pool.on('error', (error) => warn('database connection dropped', error));
  // A connection checked out of the pool has no pool listener: when it drops it emits 'error' as
  // well as failing its query (which the caller sees as StoreUnavailable). Unheard, that event
  // would crash the process; the pool discards the connection when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  let schema: string | null | undefined;
  try {
    schema = (await pool.query<{ schema: string | null }>('select current_schema() as schema')).rows[0]?.schema;
  } catch (error) {
    await pool.end();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new SchemaDialect({ pool }, schema ?? ''), plugins: [new CamelCasePlugin()] });
  try {
    if (!schema) throw new Error('the connection has no current schema: check search_path');
    const channel = channelFor(schema);
    const origin = randomUUID();
    const dialect: Dialect = {
      name: 'postgres',
      isUniqueViolation: (error) => errorCode(error) === '23505',
      isUnavailable,
      isRetryable: (error) => errorCode(error) === '40P01' || errorCode(error) === '40001',
      lock: async (trx, key) => {
        await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
      },
      notify: async (trx, message) => {
        await sql`select pg_notify(${channel}, ${`${origin}\n${message.channel}\n${message.payload}`})`.execute(trx);
      },
      migrate: () => migrateAlone(url, schema),
      listen: (deliver, onGap) => listener({ connectionString: url, connectionTimeoutMillis: 5000 }, channel, origin, deliver, onGap, warn),
    };
    if (options.migrate !== false) await migrateAlone(url, schema);
    return new KyselyStore(db, dialect, undefined, undefined, schema);
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/**
 * Runs the migrations on a connection of their own, free of the query timeout: a migration may
 * take long on a large table, and a node may wait long for another node's migration lock.
 */
async function migrateAlone(url: string, schema: string): Promise<string[]> {
  const db = new Kysely<Database>({
    dialect: new SchemaDialect({ pool: new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5000 }) }, schema),
    plugins: [new CamelCasePlugin()],
  });
  try {
    return await migrateToLatest(db, schema);
  } finally {
    await db.destroy();
  }
}

/**
 * PostgreSQL as Kysely speaks it, but looking only at the store's own schema when it asks what
 * exists (as its migrator does). Kysely's own introspector reads every schema's tables through
 * functions that resolve names, and fails with 3F000 when another schema is dropped during the
 * read: another tenant of the same server, or another test, does that at any time.
 */
class SchemaDialect extends PostgresDialect {
  constructor(
    config: PostgresDialectConfig,
    private readonly schema: string,
  ) {
    super(config);
  }

  override createIntrospector(db: KyselyType<unknown>): DatabaseIntrospector {
    return new SchemaIntrospector(db, this.schema);
  }
}

class SchemaIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: KyselyType<unknown>,
    private readonly schema: string,
  ) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${this.schema}`.execute(this.db);
    return rows;
  }

  /** The schema's tables and views, without columns: what the migrator needs to know. */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; type: string }>`
      select table_name as name, table_type as type from information_schema.tables where table_schema = ${this.schema}
    `.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: this.schema, isView: r.type === 'VIEW', isForeign: r.type === 'FOREIGN', columns: [] }));
  }
}
