import { z } from 'zod';
import { getOrganization, LEAK_POLICIES, listOrganizations, updateOrganization } from '../../services/organizations.js';
import type { Api } from '../api.js';
import { readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { presentOrganization } from '../presenters/organization.js';

const TAG = 'Organizations (org/v2)';

const updateBody = z.object({
  display_name: z.string().nullish(),
  /** A Keyplane extension: Confluent's schema lets an organization carry extra fields. */
  keyplane_in_use_guard: z.boolean().nullish(),
  /** A Keyplane extension: what POST /v1/leaks does to a live key. */
  keyplane_leak_policy: z.enum(LEAK_POLICIES).nullish(),
});

export function registerOrganizationRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/org/v2/organizations',
      summary: 'List organizations (this deployment has one)',
      tag: TAG,
      query: [
        { name: 'page_size', description: 'Items per page, default 10, at most 100' },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
      ],
      responses: { 200: 'A page of organizations' },
    },
    async (c) => {
      const page = await listOrganizations(c.get('services'), await callerOf(c), readPage(c));
      return c.json(
        listEnvelope(c, 'org/v2', 'OrganizationList', page, page.items.map((o) => presentOrganization(c, o))),
      );
    },
  );

  api.route(
    {
      method: 'get',
      path: '/org/v2/organizations/{id}',
      summary: 'Read the organization',
      tag: TAG,
      responses: { 200: 'The organization' },
    },
    async (c) => c.json(presentOrganization(c, await getOrganization(c.get('services'), await callerOf(c), c.req.param('id')!))),
  );

  api.route(
    {
      method: 'patch',
      path: '/org/v2/organizations/{id}',
      summary:
        "Change the organization's display name, Keyplane's in-use guard (keyplane_in_use_guard) or its leak policy (keyplane_leak_policy: revoke or notify)",
      tag: TAG,
      body: updateBody,
      responses: { 200: 'The organization after the change' },
    },
    async (c) => {
      const body = await readJson(c, updateBody);
      const org = await updateOrganization(c.get('services'), await callerOf(c), c.req.param('id')!, {
        displayName: body.display_name ?? undefined,
        inUseGuard: body.keyplane_in_use_guard ?? undefined,
        leakPolicy: body.keyplane_leak_policy ?? undefined,
      });
      return c.json(presentOrganization(c, org));
    },
  );
}
