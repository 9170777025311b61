import { z } from 'zod';
import {
  createRoleBinding,
  deleteRoleBinding,
  getRoleBinding,
  listRoleBindings,
  roleBindingPath,
} from '../../services/role-bindings.js';
import type { Api } from '../api.js';
import { queryParam, readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { created } from '../presenters/common.js';
import { presentRoleBinding } from '../presenters/role-binding.js';

const TAG = 'Role Bindings (iam/v2)';

// Read-only fields clients echo back (`id`, `metadata`, `kind`, `api_version`) are ignored, as
// are unknown fields.
const text = (what: string) => z.string({ error: (issue) => (issue.input === undefined ? `is required: ${what}` : 'must be a string') });
const body = z.object({
  principal: text('User:u-… or User:sa-…'),
  role_name: text('the name of a predefined role'),
  crn_pattern: text('the CRN pattern of the scope the role is bound at'),
});

export function registerRoleBindingRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/iam/v2/role-bindings',
      summary: 'List the role bindings the caller may see under a CRN pattern',
      tag: TAG,
      query: [
        {
          name: 'crn_pattern',
          description: 'Required. An exact pattern; one ending in /* for the scope and everything in it; one ending in * for a text prefix',
          required: true,
        },
        { name: 'principal', description: 'Only bindings of this principal (User:u-… or User:sa-…)' },
        { name: 'role_name', description: 'Only bindings of this role' },
        { name: 'page_size', description: 'Items per page, default 10, at most 100' },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
      ],
      responses: { 200: 'A page of role bindings' },
    },
    async (c) => {
      const services = c.get('services');
      const page = await listRoleBindings(
        services,
        await callerOf(c),
        { crnPattern: queryParam(c, 'crn_pattern'), principal: queryParam(c, 'principal'), roleName: queryParam(c, 'role_name') },
        readPage(c),
      );
      return c.json(listEnvelope(c, 'iam/v2', 'RoleBindingList', page, page.items.map((b) => presentRoleBinding(c, b))));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/iam/v2/role-bindings',
      summary: 'Bind a role to a principal at a CRN pattern',
      tag: TAG,
      body,
      responses: { 201: 'The role binding' },
    },
    async (c) => {
      const input = await readJson(c, body);
      const binding = await createRoleBinding(c.get('services'), await callerOf(c), {
        principal: input.principal,
        roleName: input.role_name,
        crnPattern: input.crn_pattern,
      });
      return created(c, roleBindingPath(binding.id), presentRoleBinding(c, binding));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/iam/v2/role-bindings/{id}',
      summary: 'Read a role binding',
      tag: TAG,
      responses: { 200: 'The role binding' },
    },
    async (c) => {
      const binding = await getRoleBinding(c.get('services'), await callerOf(c), c.req.param('id')!);
      return c.json(presentRoleBinding(c, binding));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/iam/v2/role-bindings/{id}',
      summary: 'Delete a role binding; answers with the binding deleted',
      tag: TAG,
      responses: { 200: 'The deleted role binding' },
    },
    async (c) => {
      const binding = await deleteRoleBinding(c.get('services'), await callerOf(c), c.req.param('id')!);
      return c.json(presentRoleBinding(c, binding));
    },
  );
}
