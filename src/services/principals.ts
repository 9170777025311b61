import { KeyplaneError } from '../domain/errors.js';
import { type PrincipalKind, principalKindOf } from '../domain/ids.js';
import type { Store } from '../storage/store.js';
import type { ServiceContext } from './context.js';
import { removeApiKeys } from './key-removal.js';

/** Everything a principal owns goes with it: keys and role bindings. */
export async function deletePrincipalBelongings(ctx: ServiceContext, tx: Store, principalId: string): Promise<void> {
  await removeApiKeys(ctx, tx, { ownerId: principalId });
  await tx.deleteWhere('roleBindings', { principal: `User:${principalId}` });
}

export interface PrincipalRef {
  /** The id as stored: ids are case-insensitive and kept in lower case. */
  id: string;
  kind: PrincipalKind;
}

/** Resolves an owner id to an existing principal, or a 422 naming the field. */
export async function requirePrincipal(store: Store, rawId: string, pointer: string): Promise<PrincipalRef> {
  const id = rawId.trim().toLowerCase();
  const kind = principalKindOf(id);
  if (!kind) {
    throw new KeyplaneError('invalid_configuration', `'${rawId}' is neither a user (u-…) nor a service account (sa-…)`, {
      source: { pointer },
    });
  }
  const exists = kind === 'User' ? await store.get('users', id) : await store.get('serviceAccounts', id);
  if (!exists) {
    const noun = kind === 'User' ? 'user' : 'service account';
    throw new KeyplaneError('invalid_configuration', `The ${noun} '${id}' does not exist`, { source: { pointer } });
  }
  return { id, kind };
}
