import { KeyplaneError } from '../domain/errors.js';
import { checkText, textLimits } from '../domain/text.js';
import type { User } from '../storage/schema.js';
import type { Page, PageRequest, Where } from '../storage/store.js';
import { type Caller, canEverywhere, ensure, ensureStandingOver, namedIds } from './access.js';
import { endUserSessions } from './console-sessions.js';
import { requireRow, type ServiceContext, timestamp } from './context.js';
import { type DeleteOptions, ensurePrincipalNotInUse } from './key-usage.js';
import { deletePrincipalBelongings } from './principals.js';

/** Every user when the caller may describe all of them; otherwise those its bindings name, and itself. */
export async function listUsers(ctx: ServiceContext, caller: Caller, page: PageRequest): Promise<Page<User>> {
  let where: Where<'users'> = {};
  if (!canEverywhere(ctx, caller, 'User:Describe', 'user')) {
    const named = namedIds(ctx, caller, 'user', 'User:Describe', ctx.crn.user);
    const self = caller.actor.principalKind === 'User' ? [caller.actor.principalId] : [];
    where = { id: [...new Set([...named, ...self])] };
  }
  return ctx.store.list('users', where, page);
}

/**
 * Checks `operation` on the user the path names before looking it up, so a caller without the
 * permission gets 403 whether or not the user exists. A user may always read itself.
 */
function ensureOnUser(ctx: ServiceContext, caller: Caller, operation: string, id: string): void {
  ensure(ctx, caller, operation, ctx.crn.user(id.trim().toLowerCase()));
}

export async function getUser(ctx: ServiceContext, caller: Caller, id: string): Promise<User> {
  ensureOnUser(ctx, caller, 'User:Describe', id);
  return requireRow(ctx.store, 'users', id);
}

export interface UpdateUserInput {
  fullName?: string | undefined;
}

export async function updateUser(ctx: ServiceContext, caller: Caller, id: string, input: UpdateUserInput): Promise<User> {
  ensureOnUser(ctx, caller, 'User:Alter', id);
  const fullName = input.fullName === undefined ? undefined : checkText('/full_name', input.fullName, textLimits.fullName);
  return ctx.store.transaction(async (tx) => {
    const current = await requireRow(tx, 'users', id);
    await ensureStandingOver(ctx, tx, caller, current.id, 'User:Alter', ctx.crn.user(current.id));
    const updated = await tx.update('users', current.id, { fullName, updatedAt: timestamp(ctx) });
    return updated!;
  });
}

/**
 * Deletes a user with its API keys, role bindings, invitations and console sessions. The caller's own user is
 * refused: deleting it would revoke the key making the call and could lock the organization out.
 * With the in-use guard on, a user whose keys were used lately goes only with `force`.
 */
export async function deleteUser(ctx: ServiceContext, caller: Caller, id: string, options: DeleteOptions = {}): Promise<void> {
  ensureOnUser(ctx, caller, 'User:Delete', id);
  const { actor } = caller;
  await ctx.store.transaction(async (tx) => {
    const current = await requireRow(tx, 'users', id);
    if (actor.principalKind === 'User' && actor.principalId === current.id) {
      throw new KeyplaneError(
        'bad_request',
        `User '${current.id}' is the caller; a user cannot delete themselves, ask another administrator`,
      );
    }
    await ensureStandingOver(ctx, tx, caller, current.id, 'User:Delete', ctx.crn.user(current.id));
    await ensurePrincipalNotInUse(ctx, tx, current.id, 'User', options);
    await deletePrincipalBelongings(ctx, tx, current.id, 'User');
    await tx.deleteWhere('invitations', { userId: current.id });
    await endUserSessions(tx, current.id);
    await tx.delete('users', current.id);
  });
}
