import { invalidField, KeyplaneError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { checkEmail } from '../domain/text.js';
import type { Invitation, User } from '../storage/schema.js';
import type { Page, PageRequest } from '../storage/store.js';
import { type Caller, ensure } from './access.js';
import { notFound, onConflict, requireRow, type ServiceContext } from './context.js';

export const authTypes = ['AUTH_TYPE_LOCAL', 'AUTH_TYPE_SSO'] as const;
export type AuthType = (typeof authTypes)[number];

export const INVITATION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

function checkAuthType(value: string): AuthType {
  const upper = value.trim().toUpperCase();
  const known = authTypes.find((t) => t === upper);
  if (!known) throw invalidField('/auth_type', `/auth_type must be one of ${authTypes.join(', ')}`);
  return known;
}

export interface CreateInvitationInput {
  email: string;
  authType?: string | undefined;
}

export interface CreatedInvitation {
  invitation: Invitation;
  user: User;
}

/**
 * Creates the invited user and the invitation together, so that keys and role bindings can name
 * the user before the invitation is accepted. An email that already belongs to a user is a
 * conflict pointing at that user.
 */
export async function createInvitation(
  ctx: ServiceContext,
  caller: Caller,
  input: CreateInvitationInput,
): Promise<CreatedInvitation> {
  ensure(ctx, caller, 'Invitation:Create', ctx.crn.organization());
  const { actor } = caller;
  const email = checkEmail('/email', input.email.trim());
  const authType = input.authType === undefined ? 'AUTH_TYPE_LOCAL' : checkAuthType(input.authType);
  const conflict = async (existing: User | undefined) =>
    new KeyplaneError('resource_already_exists', `A user with the email '${email}' already exists`, {
      ...(existing ? { location: `/iam/v2/users/${existing.id}` } : {}),
    });
  return onConflict(
    () =>
      ctx.store.transaction(async (tx) => {
        const existing = await tx.find('users', { email });
        if (existing) throw await conflict(existing);
        const now = ctx.now();
        const created = now.toISOString();
        const user: User = { id: newId('user', ctx.randomBytes), email, fullName: '', authType, passwordHash: null, createdAt: created, updatedAt: created };
        await tx.insert('users', user);
        const invitation: Invitation = {
          id: newId('invitation', ctx.randomBytes),
          email,
          authType,
          status: 'INVITE_STATUS_SENT',
          userId: user.id,
          creatorId: actor.principalKind === 'User' ? actor.principalId : null,
          expiresAt: new Date(now.getTime() + INVITATION_LIFETIME_MS).toISOString(),
          acceptedAt: null,
          linkHash: null,
          createdAt: created,
          updatedAt: created,
        };
        await tx.insert('invitations', invitation);
        return { invitation, user };
      }),
    async () => conflict(await ctx.store.find('users', { email })),
  );
}

export interface InvitationFilter {
  email?: string | undefined;
  status?: string | undefined;
  userId?: string | undefined;
  creatorId?: string | undefined;
}

export async function listInvitations(
  ctx: ServiceContext,
  caller: Caller,
  filter: InvitationFilter,
  page: PageRequest,
): Promise<Page<Invitation>> {
  ensure(ctx, caller, 'Invitation:Describe', ctx.crn.organization());
  return ctx.store.list(
    'invitations',
    {
      email: filter.email?.toLowerCase(),
      status: filter.status?.toUpperCase(),
      userId: filter.userId?.toLowerCase(),
      creatorId: filter.creatorId?.toLowerCase(),
    },
    page,
  );
}

/** Checked on the invitation's CRN before the lookup: without the permission, 403 whether it exists or not. */
function ensureOnInvitation(ctx: ServiceContext, caller: Caller, operation: string, id: string): void {
  ensure(ctx, caller, operation, ctx.crn.invitation(id.trim().toLowerCase()));
}

export async function getInvitation(ctx: ServiceContext, caller: Caller, id: string): Promise<Invitation> {
  ensureOnInvitation(ctx, caller, 'Invitation:Describe', id);
  return requireRow(ctx.store, 'invitations', id);
}

/** Withdraws the invitation; the invited user stays, with whatever keys and bindings it has. */
export async function deleteInvitation(ctx: ServiceContext, caller: Caller, id: string): Promise<void> {
  ensureOnInvitation(ctx, caller, 'Invitation:Delete', id);
  if (!(await ctx.store.delete('invitations', id.toLowerCase()))) throw notFound('invitation_not_found', 'Invitation', id);
}
