import { KeyplaneError } from '../domain/errors.js';
import { checkText, textLimits } from '../domain/text.js';
import type { Invitation } from '../storage/schema.js';
import { type Caller, ensure } from './access.js';
import { isToken, keyedHash, newToken, reportConsoleSignIn, type SignedIn, startSession } from './console-sessions.js';
import { normalisedId, requireRow, type ServiceContext } from './context.js';
import { checkPassword, hashPassword } from './passwords.js';

const SENT = 'INVITE_STATUS_SENT';
const ACCEPTED = 'INVITE_STATUS_ACCEPTED';

function linkInvalid(): KeyplaneError {
  return new KeyplaneError('invitation_link_invalid', 'This invitation link is not valid: it was used, replaced or withdrawn, or it has expired');
}

function isOpen(invitation: Invitation, now: Date): boolean {
  return invitation.status === SENT && invitation.expiresAt > now.toISOString();
}

/**
 * A one-time link for the invited user to set a password: a new token whose keyed hash replaces
 * any earlier link's, valid until the invitation expires. Allowed to whoever may create invitations.
 */
export async function createInvitationLink(ctx: ServiceContext, caller: Caller, invitationId: string): Promise<{ token: string; expiresAt: string }> {
  ensure(ctx, caller, 'Invitation:Create', ctx.crn.organization());
  const token = newToken(ctx);
  return ctx.store.transaction(async (tx) => {
    await tx.lock(`invitation:${normalisedId('invitations', invitationId)}`);
    const current = await requireRow(tx, 'invitations', invitationId);
    if (current.status === ACCEPTED) {
      throw new KeyplaneError('invitation_closed', `Invitation '${current.id}' was already accepted; its user signs in with their password`);
    }
    if (!isOpen(current, ctx.now())) {
      throw new KeyplaneError('invitation_closed', `Invitation '${current.id}' expired at ${current.expiresAt}; withdraw it and invite again`);
    }
    await tx.update('invitations', current.id, { linkHash: keyedHash(ctx, 'invitation', token), updatedAt: ctx.now().toISOString() });
    return { token, expiresAt: current.expiresAt };
  });
}

async function openInvitation(ctx: ServiceContext, token: string): Promise<Invitation> {
  if (!isToken(token)) throw linkInvalid();
  const invitation = await ctx.store.find('invitations', { linkHash: keyedHash(ctx, 'invitation', token) });
  if (!invitation || !isOpen(invitation, ctx.now())) throw linkInvalid();
  return invitation;
}

/** Who a link invites, for the page that accepts it; one answer for unknown, used and expired links. */
export async function previewInvitationLink(ctx: ServiceContext, token: string): Promise<{ email: string; expiresAt: string }> {
  const invitation = await openInvitation(ctx, token);
  return { email: invitation.email, expiresAt: invitation.expiresAt };
}

export interface AcceptInput {
  token: string;
  password: string;
  fullName?: string | undefined;
}

/**
 * Accepts an invitation through its link: the user's password (and full name, when given) is
 * set, the invitation becomes accepted and the link is spent, and the user is signed in, all in
 * one transaction; a second accept of the same link fails.
 */
export async function acceptInvitationLink(ctx: ServiceContext, input: AcceptInput, clientAddress?: string): Promise<SignedIn> {
  checkPassword('/password', input.password);
  const fullName = input.fullName === undefined ? undefined : checkText('/full_name', input.fullName.trim(), textLimits.fullName);
  const found = await openInvitation(ctx, input.token);
  const passwordHash = await hashPassword(input.password, ctx.randomBytes);
  const session = await ctx.store.transaction(async (tx) => {
    await tx.lock(`invitation:${found.id}`);
    const invitation = await tx.get('invitations', found.id);
    if (!invitation || invitation.linkHash !== found.linkHash || !isOpen(invitation, ctx.now())) throw linkInvalid();
    const now = ctx.now().toISOString();
    await tx.update('invitations', invitation.id, { status: ACCEPTED, acceptedAt: now, linkHash: null, updatedAt: now });
    const user = await tx.update('users', invitation.userId, { passwordHash, ...(fullName ? { fullName } : {}), updatedAt: now });
    if (!user) throw linkInvalid();
    return startSession(ctx, tx, user);
  });
  reportConsoleSignIn(ctx, clientAddress, session.user);
  return session;
}
