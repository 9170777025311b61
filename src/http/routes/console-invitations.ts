import { z } from 'zod';
import { acceptInvitationLink, createInvitationLink, previewInvitationLink } from '../../services/invitation-links.js';
import type { Api } from '../api.js';
import { setSessionCookie } from '../auth.js';
import { readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { peerAddress } from '../rate-limit.js';
import { sessionBody } from './console-session.js';

const TAG = 'Console (console/v1)';

const previewBody = z.object({ token: z.string() });
const acceptBody = z.object({ token: z.string(), password: z.string(), full_name: z.string().nullish() });

export function registerConsoleInvitationRoutes(api: Api): void {
  api.route(
    {
      method: 'post',
      path: '/console/v1/invitations/{id}/link',
      summary:
        'A one-time link for the invited user to set a password (the token is in the URL fragment, never sent to a server); replaces an earlier link',
      tag: TAG,
      responses: { 201: 'The link and when it expires' },
    },
    async (c) => {
      const { token, expiresAt } = await createInvitationLink(c.get('services'), await callerOf(c), c.req.param('id')!);
      return c.json({ url: `${c.get('http').publicUrl}/accept-invitation#token=${token}`, expires_at: expiresAt }, 201);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/console/v1/invitations/preview',
      summary: 'Who an invitation link is for',
      tag: TAG,
      body: previewBody,
      responses: { 200: 'The invited email and when the link expires' },
      authenticated: false,
    },
    async (c) => {
      const body = await readJson(c, previewBody);
      const preview = await previewInvitationLink(c.get('services'), body.token);
      return c.json({ email: preview.email, expires_at: preview.expiresAt });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/console/v1/invitations/accept',
      summary: 'Accept an invitation through its link: set a password (and full name) and sign in',
      tag: TAG,
      body: acceptBody,
      responses: { 200: 'Signed in, as by sign-in; the link is spent' },
      authenticated: false,
    },
    async (c) => {
      const body = await readJson(c, acceptBody);
      const session = await acceptInvitationLink(
        c.get('services'),
        { token: body.token, password: body.password, fullName: body.full_name ?? undefined },
        peerAddress(c),
      );
      setSessionCookie(c, session);
      return c.json(sessionBody(c, session));
    },
  );
}
