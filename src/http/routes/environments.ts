import { z } from 'zod';
import {
  createEnvironment,
  deleteEnvironment,
  getEnvironment,
  listEnvironments,
  updateEnvironment,
} from '../../services/environments.js';
import type { Api } from '../api.js';
import { readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { created } from '../presenters/common.js';
import { presentEnvironment } from '../presenters/environment.js';

const TAG = 'Environments (org/v2)';

const streamGovernanceConfig = z.object({ package: z.string().nullish() }).nullish();

const createBody = z.object({
  display_name: z.string(),
  stream_governance_config: streamGovernanceConfig,
});

const updateBody = z.object({
  display_name: z.string().nullish(),
  stream_governance_config: streamGovernanceConfig,
});

export function registerEnvironmentRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/org/v2/environments',
      summary: 'List environments',
      tag: TAG,
      query: [
        { name: 'page_size', description: 'Items per page, default 10, at most 100' },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
      ],
      responses: { 200: 'A page of environments' },
    },
    async (c) => {
      const page = await listEnvironments(c.get('services'), await callerOf(c), readPage(c));
      return c.json(listEnvelope(c, 'org/v2', 'EnvironmentList', page, page.items.map((e) => presentEnvironment(c, e))));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/org/v2/environments',
      summary: 'Create an environment',
      tag: TAG,
      body: createBody,
      responses: { 201: 'The environment; Location names it' },
    },
    async (c) => {
      const body = await readJson(c, createBody);
      const environment = await createEnvironment(c.get('services'), await callerOf(c), {
        displayName: body.display_name,
        streamGovernancePackage: body.stream_governance_config?.package ?? undefined,
      });
      return created(c, `/org/v2/environments/${environment.id}`, presentEnvironment(c, environment));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/org/v2/environments/{id}',
      summary: 'Read an environment',
      tag: TAG,
      responses: { 200: 'The environment' },
    },
    async (c) => c.json(presentEnvironment(c, await getEnvironment(c.get('services'), await callerOf(c), c.req.param('id')!))),
  );

  api.route(
    {
      method: 'patch',
      path: '/org/v2/environments/{id}',
      summary: "Change an environment's display name or upgrade its Stream Governance package",
      tag: TAG,
      body: updateBody,
      responses: { 200: 'The environment after the change' },
    },
    async (c) => {
      const body = await readJson(c, updateBody);
      const environment = await updateEnvironment(c.get('services'), await callerOf(c), c.req.param('id')!, {
        displayName: body.display_name ?? undefined,
        streamGovernancePackage: body.stream_governance_config?.package ?? undefined,
      });
      return c.json(presentEnvironment(c, environment));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/org/v2/environments/{id}',
      summary: 'Delete an environment with its registered resources and the API keys scoped to them',
      tag: TAG,
      responses: { 204: 'Deleted' },
    },
    async (c) => {
      await deleteEnvironment(c.get('services'), await callerOf(c), c.req.param('id')!);
      return c.body(null, 204);
    },
  );
}
