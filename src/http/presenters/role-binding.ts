import type { Context } from 'hono';
import { roleBindingPath } from '../../services/role-bindings.js';
import type { RoleBinding } from '../../storage/schema.js';
import type { AppEnv } from '../types.js';
import { link } from './common.js';

export function presentRoleBinding(c: Context<AppEnv>, binding: RoleBinding) {
  return {
    api_version: 'iam/v2',
    kind: 'RoleBinding',
    id: binding.id,
    metadata: {
      self: link(c, roleBindingPath(binding.id)),
      resource_name: c.get('services').crn.roleBinding(binding.id),
      created_at: binding.createdAt,
    },
    principal: binding.principal,
    role_name: binding.roleName,
    crn_pattern: binding.crnPattern,
  };
}
