import { type KeyObject, randomBytes as nodeRandomBytes } from 'node:crypto';
import { type CrnBuilders, crnsFor } from '../domain/crn.js';
import { type ErrorCode, KeyplaneError } from '../domain/errors.js';
import type { PrincipalKind, RandomBytes } from '../domain/ids.js';
import type { Decision } from '../domain/authorization.js';
import type { QuotaLimits } from '../domain/quotas.js';
import { type Row, type Store, type TableName, UniqueViolation } from '../storage/store.js';
import type { AuditTrail } from './audit-log.js';
import { type AuthenticationObserver, ignoreAuthentications } from './authentication-events.js';
import { KeyCache, type KeyCacheOptions } from './key-cache.js';
import type { SecretHasher } from './secret-hasher.js';

/** What every use case needs: the store, the clock, randomness, the hasher, limits, the org. */
export interface ServiceContext {
  store: Store;
  now: () => Date;
  randomBytes: RandomBytes;
  hasher: SecretHasher;
  quotas: QuotaLimits;
  orgId: string;
  crn: CrnBuilders;
  /** Key records this node has read, for verification without a database read. */
  keys: KeyCache;
  /** Told of every key authentication: feeds last-used times and authentication events. */
  authentications: AuthenticationObserver;
  /** This node's audit chain; absent when the audit log is off. */
  audit?: AuditTrail;
  /** The authorization decisions made for one audited call, in order. */
  decisions?: RecordedDecision[];
  /** Keys console session tokens, their CSRF tokens and invitation links; derived, never stored. */
  consoleKey: KeyObject | Buffer;
}

/** A decision with what it was about, as an audit record names it. */
export type RecordedDecision = Decision & { operation: string; resource: string };

export interface ServiceDeps {
  store: Store;
  hasher: SecretHasher;
  quotas: QuotaLimits;
  now?: () => Date;
  randomBytes?: RandomBytes;
  keyCache?: Partial<KeyCacheOptions>;
  authentications?: AuthenticationObserver;
  audit?: AuditTrail;
  /** Defaults to a random key: sessions then end with the process. */
  consoleKey?: KeyObject | Buffer;
}

export const defaultKeyCacheOptions: KeyCacheOptions = { maxEntries: 1_000_000, maxMisses: 100_000, missTtlMs: 2_000 };

export function createContext(deps: ServiceDeps, orgId: string): ServiceContext {
  return {
    store: deps.store,
    hasher: deps.hasher,
    quotas: deps.quotas,
    now: deps.now ?? (() => new Date()),
    randomBytes: deps.randomBytes ?? ((n) => nodeRandomBytes(n)),
    orgId,
    crn: crnsFor(orgId),
    keys: new KeyCache({ ...defaultKeyCacheOptions, ...deps.keyCache }),
    authentications: deps.authentications ?? ignoreAuthentications,
    consoleKey: deps.consoleKey ?? nodeRandomBytes(32),
    ...(deps.audit ? { audit: deps.audit } : {}),
  };
}

/** Who is calling: the principal a Cloud or Global key belongs to, and the key used. */
export interface KeyActor {
  via: 'key';
  principalId: string;
  principalKind: PrincipalKind;
  keyId: string;
}

/** A user signed in to the console; `sessionId` is the stored (keyed-hash) id, never the token. */
export interface SessionActor {
  via: 'session';
  principalId: string;
  principalKind: 'User';
  sessionId: string;
}

export type Actor = KeyActor | SessionActor;

export function timestamp(ctx: Pick<ServiceContext, 'now'>): string {
  return ctx.now().toISOString();
}

/** Calls `fn`; turns a unique-constraint collision into the given conflict error. */
export async function onConflict<R>(fn: () => Promise<R>, conflict: () => Promise<KeyplaneError>): Promise<R> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof UniqueViolation) throw await conflict();
    throw error;
  }
}

export type NotFoundCode = Extract<ErrorCode, `${string}_not_found`>;

export function notFound(code: NotFoundCode, what: string, id: string): KeyplaneError {
  return new KeyplaneError(code, `${what} '${id}' was not found`);
}

const lower = (id: string) => id.trim().toLowerCase();

/** Tables looked up by an id from a request: how the id is normalised and what a miss is called. */
const lookups = {
  apiKeys: { code: 'api_key_not_found', noun: 'API key', normalise: (id: string) => id.trim().toUpperCase() },
  environments: { code: 'environment_not_found', noun: 'Environment', normalise: lower },
  users: { code: 'user_not_found', noun: 'User', normalise: lower },
  serviceAccounts: { code: 'service_account_not_found', noun: 'Service account', normalise: lower },
  invitations: { code: 'invitation_not_found', noun: 'Invitation', normalise: lower },
} as const satisfies Partial<Record<TableName, { code: NotFoundCode; noun: string; normalise: (id: string) => string }>>;

/** An id from a request as the table stores it: what requireRow looks up, and what a lock on the row names. */
export function normalisedId(table: keyof typeof lookups, id: string): string {
  return lookups[table].normalise(id);
}

/**
 * The row a request names, ids compared case-insensitively as clients send them, or the
 * table's not-found error. Inside a transaction pass the transaction's store.
 */
export async function requireRow<T extends keyof typeof lookups>(store: Store, table: T, id: string): Promise<Row<T>> {
  const lookup = lookups[table];
  const row = await store.get(table, normalisedId(table, id));
  if (!row) throw notFound(lookup.code, lookup.noun, id);
  return row;
}

/** The database is unreachable; edges answer "try again" rather than "failed". */
export { describeDriverError, StoreUnavailable } from '../storage/store.js';
