import { isApiKeyId } from '../domain/ids.js';
import { type KeyScopeKind, isManagementScope } from '../domain/resources.js';
import type { ApiKey } from '../storage/schema.js';
import type { Actor, ServiceContext } from './context.js';

export type AuthenticationFailure = 'invalid_credentials' | 'not_a_management_key';

export type Authentication =
  | { ok: true; actor: Actor; key: ApiKey }
  | { ok: false; reason: AuthenticationFailure; keyId?: string; scope?: KeyScopeKind };

/**
 * Checks a key id and secret. An unknown id, a wrong secret and a key whose owner is gone all
 * take the same path (one keyed hash and one constant-time compare) and give the same answer.
 */
export async function authenticateKey(ctx: ServiceContext, keyId: string, secret: string): Promise<Authentication> {
  const key = isApiKeyId(keyId) ? await ctx.store.get('apiKeys', keyId) : undefined;
  const valid = key
    ? ctx.hasher.verify(secret, { hash: key.secretHash, version: key.pepperVersion })
    : ctx.hasher.verifyNothing(secret);
  if (!key || !valid) return { ok: false, reason: 'invalid_credentials' };
  const owner =
    key.ownerKind === 'User' ? await ctx.store.get('users', key.ownerId) : await ctx.store.get('serviceAccounts', key.ownerId);
  if (!owner) return { ok: false, reason: 'invalid_credentials' };
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
