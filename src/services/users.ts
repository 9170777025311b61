import { KeyplaneError } from '../domain/errors.js';
import { checkText, textLimits } from '../domain/text.js';
import type { User } from '../storage/schema.js';
import type { Page, PageRequest } from '../storage/store.js';
import { type Actor, type ServiceContext, notFound, timestamp } from './context.js';
import { deletePrincipalBelongings } from './principals.js';

export async function listUsers(ctx: ServiceContext, page: PageRequest): Promise<Page<User>> {
  return ctx.store.list('users', {}, page);
}

export async function getUser(ctx: ServiceContext, id: string): Promise<User> {
  const user = await ctx.store.get('users', id.toLowerCase());
  if (!user) throw notFound('user_not_found', 'User', id);
  return user;
}

export interface UpdateUserInput {
  fullName?: string | undefined;
}

export async function updateUser(ctx: ServiceContext, id: string, input: UpdateUserInput): Promise<User> {
  const fullName = input.fullName === undefined ? undefined : checkText('/full_name', input.fullName, textLimits.fullName);
  return ctx.store.transaction(async (tx) => {
    const current = await tx.get('users', id.toLowerCase());
    if (!current) throw notFound('user_not_found', 'User', id);
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
    const current = await tx.get('users', id.toLowerCase());
    if (!current) throw notFound('user_not_found', 'User', id);
    if (actor.principalKind === 'User' && actor.principalId === current.id) {
      throw new KeyplaneError(
        'bad_request',
        `User '${current.id}' is the caller; a user cannot delete themselves, ask another administrator`,
      );
    }
    await deletePrincipalBelongings(tx, current.id);
    await tx.deleteWhere('invitations', { userId: current.id });
    await tx.delete('users', current.id);
  });
}
