import { KeyplaneError } from '../domain/errors.js';
import { type PrincipalKind, principalKindOf } from '../domain/ids.js';
import type { Store } from '../storage/store.js';
import { removeBindingsOn, removePrincipalAccess } from './access-removal.js';
import type { ServiceContext } from './context.js';
import { removeApiKeys } from './key-removal.js';

/**
 * Everything a principal owns goes with it: its keys, its role bindings and ACLs, and the
 * bindings others hold on it (ResourceOwner of a service account, say).
 */
export async function deletePrincipalBelongings(ctx: ServiceContext, tx: Store, principalId: string, kind: PrincipalKind): Promise<void> {
  await removeApiKeys(ctx, tx, { ownerId: principalId });
  await removePrincipalAccess(tx, principalId);
  await removeBindingsOn(tx, principalCrn(ctx, { id: principalId, kind }));
}

export interface PrincipalRef {
  /** The id as stored: ids are case-insensitive and kept in lower case. */
  id: string;
  kind: PrincipalKind;
}

/**
 * What an owner id names, from its shape alone (no lookup): a 422 naming the field when it is
 * neither a user nor a service account. Authorization can be decided on this before the store
 * is asked whether the principal exists.
 */
export function principalRef(rawId: string, pointer: string): PrincipalRef {
  const id = rawId.trim().toLowerCase();
  const kind = principalKindOf(id);
  if (!kind) {
    throw new KeyplaneError('invalid_configuration', `'${rawId}' is neither a user (u-…) nor a service account (sa-…)`, {
      source: { pointer },
    });
  }
  return { id, kind };
}

/** The CRN role bindings name a principal by. */
export function principalCrn(ctx: ServiceContext, principal: PrincipalRef): string {
  return principal.kind === 'User' ? ctx.crn.user(principal.id) : ctx.crn.serviceAccount(principal.id);
}

/** Resolves an owner id to an existing principal, or a 422 naming the field. */
export async function requirePrincipal(store: Store, rawId: string, pointer: string): Promise<PrincipalRef> {
  const ref = principalRef(rawId, pointer);
  const exists = ref.kind === 'User' ? await store.get('users', ref.id) : await store.get('serviceAccounts', ref.id);
  if (!exists) {
    const noun = ref.kind === 'User' ? 'user' : 'service account';
    throw new KeyplaneError('invalid_configuration', `The ${noun} '${ref.id}' does not exist`, { source: { pointer } });
  }
  return ref;
}
