import { z } from 'zod';
import { deleteUser, getUser, listUsers, updateUser } from '../../services/users.js';
import type { Api } from '../api.js';
import { readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { presentUser } from '../presenters/user.js';
import { forceQuery, readForce } from './key-usage.js';

const TAG = 'Users (iam/v2)';

const updateBody = z.object({
  full_name: z.string().nullish(),
});

export function registerUserRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/iam/v2/users',
      summary: 'List users',
      tag: TAG,
      query: [
        { name: 'page_size', description: 'Items per page, default 10, at most 100' },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
      ],
      responses: { 200: 'A page of users' },
    },
    async (c) => {
      const page = await listUsers(c.get('services'), await callerOf(c), readPage(c));
      return c.json(listEnvelope(c, 'iam/v2', 'UserList', page, page.items.map((u) => presentUser(c, u))));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/iam/v2/users/{id}',
      summary: 'Read a user',
      tag: TAG,
      responses: { 200: 'The user' },
    },
    async (c) => c.json(presentUser(c, await getUser(c.get('services'), await callerOf(c), c.req.param('id')!))),
  );

  api.route(
    {
      method: 'patch',
      path: '/iam/v2/users/{id}',
      summary: "Change a user's full name",
      tag: TAG,
      body: updateBody,
      responses: { 200: 'The user after the change' },
    },
    async (c) => {
      const body = await readJson(c, updateBody);
      const user = await updateUser(c.get('services'), await callerOf(c), c.req.param('id')!, { fullName: body.full_name ?? undefined });
      return c.json(presentUser(c, user));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/iam/v2/users/{id}',
      summary: 'Delete a user with its API keys, role bindings and invitations; not the caller',
      tag: TAG,
      query: [forceQuery],
      responses: { 204: 'Deleted' },
    },
    async (c) => {
      await deleteUser(c.get('services'), await callerOf(c), c.req.param('id')!, { force: readForce(c) });
      return c.body(null, 204);
    },
  );
}
