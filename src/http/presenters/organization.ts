import type { Context } from 'hono';
import { leakPolicyOf } from '../../services/organizations.js';
import type { Organization } from '../../storage/schema.js';
import type { AppEnv } from '../types.js';
import { objectMeta } from './common.js';

export function presentOrganization(c: Context<AppEnv>, org: Organization) {
  return {
    api_version: 'org/v2',
    kind: 'Organization',
    id: org.id,
    metadata: objectMeta(c, `/org/v2/organizations/${org.id}`, c.get('services').crn.organization(), org),
    display_name: org.displayName,
    /** Keyplane extension: deleting a principal whose keys were used in the last 7 days needs `?force=true`. */
    keyplane_in_use_guard: org.inUseGuard === 1,
    /** Keyplane extension: what a leak report (POST /v1/leaks) does to a live key, `revoke` or `notify`. */
    keyplane_leak_policy: leakPolicyOf(org),
  };
}
