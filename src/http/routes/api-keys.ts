import { z } from 'zod';
import { createApiKey, deleteApiKey, getApiKey, listApiKeys, refuseImmutableChange, updateApiKey } from '../../services/api-keys.js';
import type { Api } from '../api.js';
import { queryParam, readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { presentApiKey } from '../presenters/api-key.js';
import { timeParam } from '../time-param.js';

const TAG = 'API Keys (iam/v2)';

// References may carry read-only fields (`related`, `resource_name`, `kind`, `api_version`);
// they are ignored, as are unknown fields.
const reference = z.object({
  id: z.string().min(1, 'must not be empty').max(255),
  environment: z.string().max(255).nullish(),
});

const createBody = z.object({
  spec: z.object({
    display_name: z.string().nullish(),
    description: z.string().nullish(),
    owner: reference,
    resource: reference.nullish(),
  }),
});

const updateBody = z.object({
  spec: z
    .object({
      display_name: z.string().nullish(),
      description: z.string().nullish(),
      owner: z.object({ id: z.string() }).nullish(),
      resource: z.object({ id: z.string() }).nullish(),
    })
    .optional(),
});

export function registerApiKeyRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/iam/v2/api-keys',
      summary: 'List API keys',
      tag: TAG,
      query: [
        { name: 'spec.owner', description: 'Only keys of this owner (u-… or sa-…)' },
        { name: 'spec.resource', description: 'Only keys scoped to this resource (lkc-…, cloud, …)' },
        {
          name: 'unused_since',
          description:
            'Only keys not used at or after this RFC 3339 time: never used, or last used before it (last use is kept to the minute)',
        },
        { name: 'page_size', description: 'Items per page, default 10, at most 100' },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
      ],
      responses: { 200: 'A page of API keys' },
    },
    async (c) => {
      const page = await listApiKeys(
        c.get('services'),
        await callerOf(c),
        {
          ownerId: queryParam(c, 'spec.owner'),
          resourceId: queryParam(c, 'spec.resource'),
          unusedSince: timeParam(c, 'unused_since'),
        },
        readPage(c),
      );
      return c.json(listEnvelope(c, 'iam/v2', 'ApiKeyList', page, page.items.map((k) => presentApiKey(c, k))));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/iam/v2/api-keys',
      summary: 'Create an API key; the secret is in this response only',
      tag: TAG,
      body: createBody,
      responses: { 202: 'The key, with its secret' },
    },
    async (c) => {
      const { spec } = await readJson(c, createBody);
      const { key, secret } = await createApiKey(c.get('services'), await callerOf(c), {
        ownerId: spec.owner.id.trim(),
        resourceId: spec.resource?.id,
        resourceEnvironment: spec.resource?.environment ?? undefined,
        displayName: spec.display_name ?? undefined,
        description: spec.description ?? undefined,
      });
      return c.json(presentApiKey(c, key, secret), 202);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/iam/v2/api-keys/{id}',
      summary: 'Read an API key (never its secret)',
      tag: TAG,
      responses: { 200: 'The key' },
    },
    async (c) => c.json(presentApiKey(c, await getApiKey(c.get('services'), await callerOf(c), c.req.param('id')!))),
  );

  api.route(
    {
      method: 'patch',
      path: '/iam/v2/api-keys/{id}',
      summary: "Change an API key's display name or description",
      tag: TAG,
      body: updateBody,
      responses: { 200: 'The key after the change' },
    },
    async (c) => {
      const services = c.get('services');
      const caller = await callerOf(c);
      const { spec = {} } = await readJson(c, updateBody);
      const current = await getApiKey(services, caller, c.req.param('id')!);
      refuseImmutableChange('/spec/owner/id', spec.owner?.id, current.ownerId);
      refuseImmutableChange('/spec/resource/id', spec.resource?.id, current.resourceId);
      const key = await updateApiKey(services, caller, current.id, {
        displayName: spec.display_name ?? undefined,
        description: spec.description ?? undefined,
      });
      return c.json(presentApiKey(c, key));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/iam/v2/api-keys/{id}',
      summary: 'Delete an API key; it stops working at once',
      tag: TAG,
      responses: { 204: 'Deleted' },
    },
    async (c) => {
      await deleteApiKey(c.get('services'), await callerOf(c), c.req.param('id')!);
      return c.body(null, 204);
    },
  );
}
