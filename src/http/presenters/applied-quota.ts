import type { Context } from 'hono';
import type { AppliedQuota } from '../../services/service-quotas.js';
import type { AppEnv } from '../types.js';
import { link } from './common.js';

export function presentAppliedQuota(c: Context<AppEnv>, quota: AppliedQuota) {
  const { crn, orgId } = c.get('services');
  const { code, scope, displayName, defaultLimit } = quota.definition;
  const cluster = quota.kafkaCluster;
  return {
    api_version: 'service-quota/v1',
    kind: 'AppliedQuota',
    id: code,
    metadata: { self: link(c, `/service-quota/v1/applied-quotas/${code}`), resource_name: crn.appliedQuota(code) },
    scope,
    display_name: displayName,
    default_limit: defaultLimit,
    applied_limit: quota.appliedLimit,
    ...(quota.usage === undefined ? {} : { usage: quota.usage }),
    organization: { id: orgId, related: link(c, `/org/v2/organizations/${orgId}`), resource_name: crn.organization() },
    ...(cluster
      ? {
          kafka_cluster: {
            id: cluster.id,
            environment: cluster.environmentId,
            related: link(c, `/cmk/v2/clusters/${cluster.id}?environment=${cluster.environmentId}`),
            resource_name: crn.kafkaCluster(cluster.environmentId, cluster.id),
          },
        }
      : {}),
    ...(quota.userId
      ? { user: { id: quota.userId, related: link(c, `/iam/v2/users/${quota.userId}`), resource_name: crn.user(quota.userId) } }
      : {}),
  };
}
