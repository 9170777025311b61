import { listAll } from './api';
import type { ApiKey, Cluster, FlinkRegion } from './types';

/** The kinds of resource an environment holds and a key can be scoped to, by their console path segment. */
export const resourceKinds = {
  kafka: { title: 'Kafka clusters', noun: 'Kafka cluster', path: '/cmk/v2/clusters', keyKind: 'Cluster' },
  'schema-registry': { title: 'Schema Registries', noun: 'Schema Registry', path: '/srcm/v3/clusters', keyKind: 'SchemaRegistry' },
  ksqldb: { title: 'ksqlDB clusters', noun: 'ksqlDB cluster', path: '/ksqldbcm/v2/clusters', keyKind: 'ksqlDB' },
  flink: { title: 'Flink regions', noun: 'Flink region', path: '/fcpm/v2/regions', keyKind: 'Region' },
} as const;

export type ResourceKind = keyof typeof resourceKinds;
export type ClusterKind = Exclude<ResourceKind, 'flink'>;

export const clusterKinds: ClusterKind[] = ['kafka', 'schema-registry', 'ksqldb'];

export function isResourceKind(value: string | undefined): value is ResourceKind {
  return value !== undefined && value in resourceKinds;
}

export function listClusters(kind: ClusterKind, environmentId: string): Promise<Cluster[]> {
  return listAll<Cluster>(resourceKinds[kind].path, { environment: environmentId });
}

export function listFlinkRegions(cloud?: string): Promise<FlinkRegion[]> {
  return listAll<FlinkRegion>('/fcpm/v2/regions', { cloud });
}

/** The console page of the resource a key is scoped to, when it has one. */
export function keyResourcePath(key: ApiKey): string | undefined {
  const { resource } = key.spec;
  const kind = (Object.keys(resourceKinds) as ResourceKind[]).find((k) => resourceKinds[k].keyKind === resource.kind);
  if (!kind || !resource.environment) return undefined;
  return `/environments/${resource.environment}/${kind}/${resource.id}`;
}

/** How a key's scope reads in a table. */
export function scopeLabel(key: ApiKey): string {
  const { resource } = key.spec;
  switch (resource.kind) {
    case 'Cloud':
      return 'Cloud resource management';
    case 'Global':
      return 'Global';
    case 'Tableflow':
      return 'Tableflow';
    case 'Region':
      return `Flink ${resource.id}${resource.environment ? ` (${resource.environment})` : ''}`;
    default:
      return resource.id;
  }
}

export const clouds = ['AWS', 'GCP', 'AZURE'] as const;
