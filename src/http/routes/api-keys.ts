import type { Context } from 'hono';
import { z } from 'zod';
import { KeyplaneError } from '../../domain/errors.js';
import { createApiKey, deleteApiKey, getApiKey, listApiKeys, refuseImmutableChange, updateApiKey } from '../../services/api-keys.js';
import type { Api } from '../api.js';
import { queryParam, readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { presentApiKey } from '../presenters/api-key.js';
import type { AppEnv } from '../types.js';

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

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** An RFC 3339 date-time as stored (UTC, milliseconds), or undefined when it is not a valid one. */
function parseRfc3339(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetHours = Number(m[9] ?? 0);
  const offsetMinutes = Number(m[10] ?? 0);
  const daysInMonth = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) return undefined;
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const sign = m[8] === '-' ? -1 : 1;
  const iso = new Date(date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000).toISOString();
  // Stored times compare as text, which holds for four-digit years only.
  return /^\d{4}-/.test(iso) ? iso : undefined;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** A time query parameter; absent or empty means no filter, anything but an RFC 3339 date-time is refused. */
function timeParam(c: Context<AppEnv>, name: string): string | undefined {
  const text = queryParam(c, name);
  if (text === undefined) return undefined;
  // An unencoded `+` of an offset arrives as a space (`…T10:00:00 01:00`); nothing else can end so.
  const time = text.length <= 64 ? parseRfc3339(text.replace(/ (\d{2}:\d{2})$/, '+$1')) : undefined;
  if (time === undefined) {
    throw new KeyplaneError('invalid_filter', `${name} must be an RFC 3339 date-time such as 2026-01-31T00:00:00Z`, {
      source: { parameter: name },
    });
  }
  return time;
}

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
