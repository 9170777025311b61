import { z } from 'zod';
import {
  createServiceAccount,
  deleteServiceAccount,
  getServiceAccount,
  listServiceAccounts,
  serviceAccountPath,
  updateServiceAccount,
} from '../../services/service-accounts.js';
import type { Api } from '../api.js';
import { queryParams, readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { created } from '../presenters/common.js';
import { presentServiceAccount } from '../presenters/service-account.js';
import { forceQuery, readForce } from './key-usage.js';

const TAG = 'Service Accounts (iam/v2)';

// Read-only fields clients echo back (`id`, `metadata`, `kind`, `api_version`) are ignored, as
// are unknown fields.
const body = z.object({
  display_name: z.string().nullish(),
  description: z.string().nullish(),
});

export function registerServiceAccountRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/iam/v2/service-accounts',
      summary: 'List service accounts',
      tag: TAG,
      query: [
        { name: 'display_name', description: 'Only accounts with exactly this name; repeat for any of several', repeated: true },
        { name: 'page_size', description: 'Items per page, default 10, at most 100' },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
      ],
      responses: { 200: 'A page of service accounts' },
    },
    async (c) => {
      const page = await listServiceAccounts(c.get('services'), await callerOf(c), { displayNames: queryParams(c, 'display_name') }, readPage(c));
      return c.json(
        listEnvelope(c, 'iam/v2', 'ServiceAccountList', page, page.items.map((a) => presentServiceAccount(c, a))),
      );
    },
  );

  api.route(
    {
      method: 'post',
      path: '/iam/v2/service-accounts',
      summary: 'Create a service account; display names are unique',
      tag: TAG,
      body,
      responses: { 201: 'The service account' },
    },
    async (c) => {
      const input = await readJson(c, body);
      const account = await createServiceAccount(c.get('services'), await callerOf(c), {
        displayName: input.display_name ?? undefined,
        description: input.description ?? undefined,
      });
      return created(c, serviceAccountPath(account.id), presentServiceAccount(c, account));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/iam/v2/service-accounts/{id}',
      summary: 'Read a service account',
      tag: TAG,
      responses: { 200: 'The service account' },
    },
    async (c) => c.json(presentServiceAccount(c, await getServiceAccount(c.get('services'), await callerOf(c), c.req.param('id')!))),
  );

  api.route(
    {
      method: 'patch',
      path: '/iam/v2/service-accounts/{id}',
      summary: "Change a service account's display name or description",
      tag: TAG,
      body,
      responses: { 200: 'The service account after the change' },
    },
    async (c) => {
      const input = await readJson(c, body);
      const account = await updateServiceAccount(c.get('services'), await callerOf(c), c.req.param('id')!, {
        displayName: input.display_name ?? undefined,
        description: input.description ?? undefined,
      });
      return c.json(presentServiceAccount(c, account));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/iam/v2/service-accounts/{id}',
      summary: 'Delete a service account with its API keys and role bindings',
      tag: TAG,
      query: [forceQuery],
      responses: { 204: 'Deleted' },
    },
    async (c) => {
      await deleteServiceAccount(c.get('services'), await callerOf(c), c.req.param('id')!, { force: readForce(c) });
      return c.body(null, 204);
    },
  );
}
