import { z } from 'zod';
import { createInvitation, deleteInvitation, getInvitation, listInvitations } from '../../services/invitations.js';
import type { Api } from '../api.js';
import { queryParam, readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { created } from '../presenters/common.js';
import { presentInvitation } from '../presenters/invitation.js';

const TAG = 'Invitations (iam/v2)';

const createBody = z.object({
  email: z.string(),
  auth_type: z.string().nullish(),
});

export function registerInvitationRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/iam/v2/invitations',
      summary: 'List invitations',
      tag: TAG,
      query: [
        { name: 'email', description: 'Only invitations to this email address' },
        { name: 'status', description: 'Only invitations in this status (INVITE_STATUS_SENT, …)' },
        { name: 'user', description: 'Only the invitation of this user (u-…)' },
        { name: 'creator', description: 'Only invitations sent by this user (u-…)' },
        { name: 'page_size', description: 'Items per page, default 10, at most 100' },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
      ],
      responses: { 200: 'A page of invitations' },
    },
    async (c) => {
      const page = await listInvitations(
        c.get('services'),
        await callerOf(c),
        {
          email: queryParam(c, 'email'),
          status: queryParam(c, 'status'),
          userId: queryParam(c, 'user'),
          creatorId: queryParam(c, 'creator'),
        },
        readPage(c),
      );
      return c.json(listEnvelope(c, 'iam/v2', 'InvitationList', page, page.items.map((i) => presentInvitation(c, i))));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/iam/v2/invitations',
      summary: 'Invite a user by email; the user exists at once, so keys and role bindings can name it',
      tag: TAG,
      body: createBody,
      responses: { 201: 'The invitation; Location names it' },
    },
    async (c) => {
      const body = await readJson(c, createBody);
      const { invitation } = await createInvitation(c.get('services'), await callerOf(c), {
        email: body.email,
        authType: body.auth_type ?? undefined,
      });
      return created(c, `/iam/v2/invitations/${invitation.id}`, presentInvitation(c, invitation));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/iam/v2/invitations/{id}',
      summary: 'Read an invitation',
      tag: TAG,
      responses: { 200: 'The invitation' },
    },
    async (c) => c.json(presentInvitation(c, await getInvitation(c.get('services'), await callerOf(c), c.req.param('id')!))),
  );

  api.route(
    {
      method: 'delete',
      path: '/iam/v2/invitations/{id}',
      summary: 'Withdraw an invitation; the invited user stays',
      tag: TAG,
      responses: { 204: 'Deleted' },
    },
    async (c) => {
      await deleteInvitation(c.get('services'), await callerOf(c), c.req.param('id')!);
      return c.body(null, 204);
    },
  );
}
