import type { Context } from 'hono';
import type { Invitation } from '../../storage/schema.js';
import type { AppEnv } from '../types.js';
import { objectMeta } from './common.js';
import { userRef } from './user.js';

export function presentInvitation(c: Context<AppEnv>, invitation: Invitation) {
  return {
    api_version: 'iam/v2',
    kind: 'Invitation',
    id: invitation.id,
    metadata: objectMeta(
      c,
      `/iam/v2/invitations/${invitation.id}`,
      c.get('services').crn.invitation(invitation.id),
      invitation,
    ),
    email: invitation.email,
    auth_type: invitation.authType,
    status: invitation.status,
    ...(invitation.acceptedAt ? { accepted_at: invitation.acceptedAt } : {}),
    expires_at: invitation.expiresAt,
    user: userRef(c, invitation.userId),
    ...(invitation.creatorId ? { creator: userRef(c, invitation.creatorId) } : {}),
  };
}
