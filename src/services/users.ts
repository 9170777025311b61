import { KeyplaneError } from '../domain/errors.js';
import { checkText, textLimits } from '../domain/text.js';
import type { User } from '../storage/schema.js';
import type { Page, PageRequest } from '../storage/store.js';
import { type Actor, type ServiceContext, requireRow, timestamp } from './context.js';
import { deletePrincipalBelongings } from './principals.js';

export async function listUsers(ctx: ServiceContext, page: PageRequest): Promise<Page<User>> {
  return ctx.store.list('users', {}, page);
}

export async function getUser(ctx: ServiceContext, id: string): Promise<User> {
  return requireRow(ctx.store, 'users', id);
}

export interface UpdateUserInput {
  fullName?: string | undefined;
}

export async function updateUser(ctx: ServiceContext, id: string, input: UpdateUserInput): Promise<User> {
  const fullName = input.fullName === undefined ? undefined : checkText('/full_name', input.fullName, textLimits.fullName);
  return ctx.store.transaction(async (tx) => {
    const current = await requireRow(tx, 'users', id);
    const updated = await tx.update('users', current.id, { fullName, updatedAt: timestamp(ctx) });
    return updated!;
  });
}

/**
 * Deletes a user with its API keys, role bindings and invitations. The caller's own user is
 * refused: deleting it would revoke the key making the call and could lock the organization out.
 */
export async function deleteUser(ctx: ServiceContext, actor: Actor, id: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const current = await requireRow(tx, 'users', id);
    if (actor.principalKind === 'User' && actor.principalId === current.id) {
      throw new KeyplaneError(
        'bad_request',
        `User '${current.id}' is the caller; a user cannot delete themselves, ask another administrator`,
      );
    }
    await deletePrincipalBelongings(ctx, tx, current.id);
    await tx.deleteWhere('invitations', { userId: current.id });
    await tx.delete('users', current.id);
  });
}
