import { AUTHENTICATION_EVENT_TYPE } from '../audit/cloud-event.js';
import { KeyplaneError } from '../domain/errors.js';
import { principalKindOf } from '../domain/ids.js';
import type { ApiKey } from '../storage/schema.js';
import type { Store, Where } from '../storage/store.js';
import { type Caller, listAll, principalName } from './access.js';
import { getApiKey, judgeKey, keyRule } from './api-keys.js';
import type { ServiceContext } from './context.js';
import { getServiceAccount } from './service-accounts.js';
import { getUser } from './users.js';

/** The window a usage question covers, in days: default and bounds. */
export const USAGE_DAYS = { default: 30, min: 1, max: 400 } as const;

/** With the in-use guard on, a principal whose keys authenticated within this many days is "in use". */
export const IN_USE_GUARD_DAYS = 7;

const DAY_MS = 86_400_000;

export interface KeyUsage {
  keyId: string;
  /** The latest successful authentication the audit log holds for the key, at any time; null when none. */
  lastAuthenticatedAt: string | null;
  /** Successful authentications in the window. */
  authentications: number;
  /** Failed authentications naming the key in the window (wrong secret, wrong resource…). */
  failures: number;
}

export interface PrincipalUsage {
  principalId: string;
  /**
   * Over every authentication as the principal or with one of its keys, including keys deleted
   * since: so the principal's figures may exceed the sum of the keys listed.
   */
  lastAuthenticatedAt: string | null;
  authentications: number;
  failures: number;
  /** The principal's keys the caller may manage. */
  keys: KeyUsage[];
}

export interface UsageWindow {
  days: number;
  /** The window's start (inclusive), RFC 3339 UTC. */
  since: string;
}

export function usageWindow(ctx: Pick<ServiceContext, 'now'>, days: number = USAGE_DAYS.default): UsageWindow {
  if (!Number.isInteger(days) || days < USAGE_DAYS.min || days > USAGE_DAYS.max) {
    throw new KeyplaneError('invalid_filter', `days must be a whole number from ${USAGE_DAYS.min} to ${USAGE_DAYS.max}`, {
      source: { parameter: 'days' },
    });
  }
  return { days, since: new Date(ctx.now().getTime() - days * DAY_MS).toISOString() };
}

type AuditWhere = Where<'auditEvents'>;

const authentications = (result: 'success' | 'failure', where: AuditWhere): AuditWhere => ({
  ...where,
  type: AUTHENTICATION_EVENT_TYPE,
  result,
});

/**
 * The time of the latest event matching `where`, found with the store's oldest-first `find`
 * alone: from the first match at or after `from`, gallop forward in time until nothing follows,
 * then bisect the last gap to the millisecond. That is two index seeks per doubling of the span
 * searched, however many events a busy key has; `from` (a last-used time, say) only narrows it.
 */
async function latestAt(store: Store, where: AuditWhere, from?: string | null): Promise<string | null> {
  const firstAtOrAfter = (ms: number | string) =>
    store.find('auditEvents', { ...where, since: { createdAt: typeof ms === 'string' ? ms : new Date(ms).toISOString() } });
  const first = (from ? await firstAtOrAfter(from) : undefined) ?? (await store.find('auditEvents', where));
  if (!first) return null;
  let latest = first.createdAt;
  let found = Date.parse(latest);
  let step = 1;
  let bound: number | undefined;
  while (bound === undefined) {
    const next = await firstAtOrAfter(found + step);
    if (next) {
      latest = next.createdAt;
      found = Date.parse(latest);
      step *= 2;
    } else {
      bound = found + step;
    }
  }
  // Nothing matches at or after `bound`; `found` matches.
  while (bound - found > 1) {
    const mid = Math.floor((found + bound) / 2);
    const next = await firstAtOrAfter(mid);
    if (next) {
      latest = next.createdAt;
      found = Date.parse(latest);
    } else {
      bound = mid;
    }
  }
  return latest;
}

async function usageOfKey(store: Store, key: Pick<ApiKey, 'id' | 'lastUsedAt'>, window: UsageWindow): Promise<KeyUsage> {
  const byKey: AuditWhere = { keyId: key.id };
  const inWindow: AuditWhere = { ...byKey, since: { createdAt: window.since } };
  const [lastAuthenticatedAt, successes, failures] = await Promise.all([
    latestAt(store, authentications('success', byKey), key.lastUsedAt),
    store.count('auditEvents', authentications('success', inWindow)),
    store.count('auditEvents', authentications('failure', inWindow)),
  ]);
  return { keyId: key.id, lastAuthenticatedAt, authentications: successes, failures };
}

/** Usage of one key; visible to whoever may read the key (others get 404, as for GET of the key). */
export async function getKeyUsage(ctx: ServiceContext, caller: Caller, keyId: string, window: UsageWindow): Promise<KeyUsage> {
  const key = await getApiKey(ctx, caller, keyId);
  return usageOfKey(ctx.store, key, window);
}

const latestOf = (times: readonly (string | null)[]): string | null =>
  times.reduce<string | null>((max, t) => (t !== null && (max === null || t > max) ? t : max), null);

/**
 * Usage of a principal and of each of its keys the caller may manage; visible to whoever may
 * read the principal (403 or 404 as GET of the user or service account answers).
 */
export async function getPrincipalUsage(
  ctx: ServiceContext,
  caller: Caller,
  rawId: string,
  window: UsageWindow,
): Promise<PrincipalUsage> {
  const kind = principalKindOf(rawId.trim().toLowerCase());
  if (!kind) {
    throw new KeyplaneError('invalid_filter', `principal '${rawId}' is neither a user (u-…) nor a service account (sa-…)`, {
      source: { parameter: 'principal' },
    });
  }
  const principal = kind === 'User' ? await getUser(ctx, caller, rawId) : await getServiceAccount(ctx, caller, rawId);
  const rule = keyRule(ctx, caller);
  const owned = await listAll(ctx.store, 'apiKeys', { ownerId: principal.id });
  const keys = await Promise.all(owned.filter((k) => judgeKey(rule, k).allowed).map((k) => usageOfKey(ctx.store, k, window)));
  const byPrincipal: AuditWhere = {
    anyOf: [{ principal: principalName(principal.id) }, ...(owned.length ? [{ keyId: owned.map((k) => k.id) }] : [])],
  };
  const inWindow: AuditWhere = { ...byPrincipal, since: { createdAt: window.since } };
  const hint = latestOf([...keys.map((k) => k.lastAuthenticatedAt), ...owned.map((k) => k.lastUsedAt)]);
  const [lastAuthenticatedAt, successes, failures] = await Promise.all([
    latestAt(ctx.store, authentications('success', byPrincipal), hint),
    ctx.store.count('auditEvents', authentications('success', inWindow)),
    ctx.store.count('auditEvents', authentications('failure', inWindow)),
  ]);
  return { principalId: principal.id, lastAuthenticatedAt, authentications: successes, failures, keys };
}

export interface KeyInUse {
  keyId: string;
  lastAuthenticatedAt: string;
}

/**
 * The principal's keys that authenticated successfully in the last IN_USE_GUARD_DAYS days,
 * latest first. The audit log decides; a key's last-used time counts too, so the guard still
 * holds with the audit log off or pruned. Authentications not yet written (the batchers hold
 * them for about a second) are not seen.
 */
export async function keysInUse(ctx: ServiceContext, store: Store, principalId: string): Promise<KeyInUse[]> {
  const since = new Date(ctx.now().getTime() - IN_USE_GUARD_DAYS * DAY_MS).toISOString();
  const keys = await listAll(store, 'apiKeys', { ownerId: principalId });
  const inUse: KeyInUse[] = [];
  for (const key of keys) {
    const recent = await store.find('auditEvents', authentications('success', { keyId: key.id, since: { createdAt: since } }));
    const audited = recent ? await latestAt(store, authentications('success', { keyId: key.id }), recent.createdAt) : null;
    const lastUsed = key.lastUsedAt !== null && key.lastUsedAt >= since ? key.lastUsedAt : null;
    const last = latestOf([audited, lastUsed]);
    if (last !== null) inUse.push({ keyId: key.id, lastAuthenticatedAt: last });
  }
  return inUse.sort((a, b) => (a.lastAuthenticatedAt < b.lastAuthenticatedAt ? 1 : -1));
}

export interface DeleteOptions {
  /** Delete even when the in-use guard finds keys in use. */
  force?: boolean | undefined;
}

/**
 * With the organization's in-use guard on and no `force`, refuses (409 `principal_in_use`, naming
 * each key and when it was last used) to delete a principal whose keys are in use. Call inside
 * the deleting transaction, before anything is removed.
 */
export async function ensurePrincipalNotInUse(
  ctx: ServiceContext,
  tx: Store,
  principalId: string,
  noun: string,
  options: DeleteOptions,
): Promise<void> {
  if (options.force) return;
  const org = await tx.get('organizations', ctx.orgId);
  if (!org?.inUseGuard) return;
  const inUse = await keysInUse(ctx, tx, principalId);
  if (inUse.length === 0) return;
  const named = inUse.map((k) => `${k.keyId} (last authenticated ${k.lastAuthenticatedAt})`).join(', ');
  throw new KeyplaneError(
    'principal_in_use',
    `${noun} '${principalId}' has API keys used in the last ${IN_USE_GUARD_DAYS} days: ${named}; ` +
      'nothing was deleted. Repeat with ?force=true to delete anyway',
  );
}
