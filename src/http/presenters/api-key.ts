import type { Context } from 'hono';
import { type KeyScopeKind, keyScopes } from '../../domain/resources.js';
import type { ApiKey } from '../../storage/schema.js';
import type { AppEnv } from '../types.js';
import { link, objectMeta, principalRef } from './common.js';

/** The full reference to a key's scope, with `related` and `resource_name` as Confluent writes them. */
export function keyResourceRef(c: Context<AppEnv>, kind: KeyScopeKind, id: string, environmentId: string | null) {
  const { crn, orgId } = c.get('services');
  const scope = keyScopes[kind];
  const env = environmentId ?? undefined;
  const envQuery = env ? `?environment=${env}` : '';
  let related: string;
  let resourceName: string;
  switch (kind) {
    case 'Cluster':
      related = link(c, `${scope.path}/${id}${envQuery}`);
      resourceName = crn.kafkaCluster(env!, id);
      break;
    case 'SchemaRegistry':
      related = link(c, `${scope.path}/${id}${envQuery}`);
      resourceName = crn.schemaRegistry(env!, id);
      break;
    case 'ksqlDB':
      related = link(c, `${scope.path}/${id}${envQuery}`);
      resourceName = crn.ksqldbCluster(env!, id);
      break;
    case 'Region':
      related = link(c, `${scope.path}/${id}`);
      resourceName = crn.flinkRegion(env!, id);
      break;
    case 'Tableflow':
      related = link(c, `/org/v2/organizations/${orgId}`);
      resourceName = crn.tableflow();
      break;
    default:
      related = link(c, `/org/v2/organizations/${orgId}`);
      resourceName = crn.organization();
  }
  return {
    id,
    ...(env ? { environment: env } : {}),
    kind,
    api_version: scope.apiVersion,
    related,
    resource_name: resourceName,
  };
}

export function presentApiKey(c: Context<AppEnv>, key: ApiKey, secret?: string) {
  const resource = keyResourceRef(c, key.scopeKind as KeyScopeKind, key.resourceId, key.resourceEnvironmentId);
  return {
    api_version: 'iam/v2',
    kind: 'ApiKey',
    id: key.id,
    metadata: objectMeta(c, `/iam/v2/api-keys/${key.id}`, c.get('services').crn.apiKey(key.id), key),
    spec: {
      ...(secret ? { secret } : {}),
      display_name: key.displayName,
      description: key.description,
      owner: principalRef(c, key.ownerId, key.ownerKind),
      resource,
      resources: [resource],
      // Keyplane's extension (Confluent's schema allows extra fields): the minute of the last
      // successful authentication, null when the key was never used.
      last_used_at: key.lastUsedAt,
    },
  };
}
