import { KeyplaneError } from '../domain/errors.js';
import { type PrincipalKind, principalKindOf } from '../domain/ids.js';
import type { Store } from '../storage/store.js';
import { type Caller, ensure, ORGANIZATION_ADMINS_LOCK, principalName } from './access.js';
import { removeBindingsOn, removePrincipalAccess } from './access-removal.js';
import type { ServiceContext } from './context.js';
import { removeApiKeys } from './key-removal.js';

/**
 * Everything a principal owns goes with it: its keys, its role bindings and ACLs, and the
 * bindings others hold on it (ResourceOwner of a service account, say).
 */
export async function deletePrincipalBelongings(ctx: ServiceContext, tx: Store, principalId: string, kind: PrincipalKind): Promise<void> {
  await keepAnOrganizationAdmin(ctx, tx, principalId);
  await removeApiKeys(ctx, tx, { ownerId: principalId });
  await removePrincipalAccess(tx, principalId);
  await removeBindingsOn(tx, principalCrn(ctx, { id: principalId, kind }));
}

/**
 * The organization keeps at least one OrganizationAdmin: the principal holding the last one
 * cannot go. Serialised with the other removals of OrganizationAdmin bindings by one lock, so
 * two admins deleting each other at once cannot both succeed.
 */
export async function keepAnOrganizationAdmin(ctx: ServiceContext, tx: Store, principalId: string): Promise<void> {
  const organizationAdmin = { roleName: 'OrganizationAdmin', crnPattern: ctx.crn.organization() };
  const principal = principalName(principalId);
  if (!(await tx.find('roleBindings', { ...organizationAdmin, principal }))) return;
  await tx.lock(ORGANIZATION_ADMINS_LOCK);
  const holders = await tx.count('roleBindings', organizationAdmin);
  if (holders <= 1) {
    throw new KeyplaneError(
      'bad_request',
      `'${principal}' holds the organization's last OrganizationAdmin binding; bind OrganizationAdmin to another principal first`,
    );
  }
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

/**
 * Naming another principal as the identity something runs as (a ksqlDB app, a Flink key's
 * statements) is using it: `ServiceAccount:Assign` or `User:Assign` on it, the Assigner's grant.
 */
export function ensureMayAssign(ctx: ServiceContext, caller: Caller, principal: PrincipalRef): void {
  if (principal.id === caller.actor.principalId) return;
  ensure(ctx, caller, `${principal.kind === 'User' ? 'User' : 'ServiceAccount'}:Assign`, principalCrn(ctx, principal));
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
