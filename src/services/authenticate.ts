import { isApiKeyId } from '../domain/ids.js';
import { isManagementScope, type KeyScopeKind } from '../domain/resources.js';
import type { Actor, ServiceContext } from './context.js';
import { type KeyRecord, keyRecord } from './key-cache.js';

export type AuthenticationFailure = 'invalid_credentials' | 'not_a_management_key';

export type Authentication =
  | { ok: true; actor: Actor; key: KeyRecord }
  | { ok: false; reason: AuthenticationFailure; keyId?: string; scope?: KeyScopeKind };

/**
 * Checks a key id and secret. An unknown id, a wrong secret and a key whose owner is gone all
 * take the same path (one keyed hash and one constant-time compare) and give the same answer.
 */
export async function authenticateKey(ctx: ServiceContext, keyId: string, secret: string): Promise<Authentication> {
  const key = isApiKeyId(keyId) ? await loadKey(ctx, keyId) : null;
  const valid = key
    ? ctx.hasher.verify(secret, { hash: key.secretHash, version: key.pepperVersion })
    : ctx.hasher.verifyNothing(secret);
  if (!key || !valid) return { ok: false, reason: 'invalid_credentials' };
  const actor: Actor = { principalId: key.ownerId, principalKind: key.ownerKind as Actor['principalKind'], keyId: key.id };
  return { ok: true, actor, key };
}

/** Management calls take a Cloud or Global key; a resource key is refused with its own reason. */
export async function authenticateManagement(ctx: ServiceContext, keyId: string, secret: string): Promise<Authentication> {
  const result = await authenticateKey(ctx, keyId, secret);
  if (result.ok && !isManagementScope(result.key.scopeKind as KeyScopeKind)) {
    return { ok: false, reason: 'not_a_management_key', keyId: result.key.id, scope: result.key.scopeKind as KeyScopeKind };
  }
  return result;
}

/**
 * The key as the cache or, on a miss, the database knows it. A key whose owner is gone counts as
 * unknown (deleting an owner deletes its keys in the same transaction; this guards the rest).
 */
async function loadKey(ctx: ServiceContext, id: string): Promise<KeyRecord | null> {
  const cached = ctx.keys.lookup(id);
  if (cached.hit) return cached.record;
  const row = await ctx.store.get('apiKeys', id);
  const owner =
    row && (row.ownerKind === 'User' ? await ctx.store.get('users', row.ownerId) : await ctx.store.get('serviceAccounts', row.ownerId));
  const record = row && owner ? keyRecord(row) : null;
  ctx.keys.remember(id, record, cached.generation);
  return record;
}
