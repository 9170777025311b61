import type { Context } from 'hono';
import { serviceAccountPath } from '../../services/service-accounts.js';
import type { ServiceAccount } from '../../storage/schema.js';
import type { AppEnv } from '../types.js';
import { objectMeta } from './common.js';

export function presentServiceAccount(c: Context<AppEnv>, account: ServiceAccount) {
  return {
    api_version: 'iam/v2',
    kind: 'ServiceAccount',
    id: account.id,
    metadata: objectMeta(c, serviceAccountPath(account.id), c.get('services').crn.serviceAccount(account.id), account),
    display_name: account.displayName,
    description: account.description,
  };
}
