import type { Context } from 'hono';
import type { User } from '../../storage/schema.js';
import type { AppEnv } from '../types.js';
import { link, objectMeta } from './common.js';

export function presentUser(c: Context<AppEnv>, user: User) {
  return {
    api_version: 'iam/v2',
    kind: 'User',
    id: user.id,
    metadata: objectMeta(c, `/iam/v2/users/${user.id}`, c.get('services').crn.user(user.id), user),
    email: user.email,
    full_name: user.fullName,
    auth_type: user.authType,
  };
}

/** A GlobalObjectReference to a user: `id`, `related`, `resource_name`. */
export function userRef(c: Context<AppEnv>, id: string) {
  return { id, related: link(c, `/iam/v2/users/${id}`), resource_name: c.get('services').crn.user(id) };
}
