import { idPrefixes } from './ids.js';

/** The kinds of scope an API key can have, with the API group Confluent names them by. */
export const keyScopes = {
  Cluster: { apiVersion: 'cmk/v2', path: '/cmk/v2/clusters', registered: 'kafka' },
  SchemaRegistry: { apiVersion: 'srcm/v3', path: '/srcm/v3/clusters', registered: 'schema-registry' },
  ksqlDB: { apiVersion: 'ksqldbcm/v2', path: '/ksqldbcm/v2/clusters', registered: 'ksqldb' },
  Region: { apiVersion: 'fcpm/v2', path: '/fcpm/v2/regions', registered: undefined },
  Cloud: { apiVersion: 'iam/v2', path: undefined, registered: undefined },
  Global: { apiVersion: 'global/v1', path: undefined, registered: undefined },
  Tableflow: { apiVersion: 'tableflow/v1', path: undefined, registered: undefined },
} as const;

export type KeyScopeKind = keyof typeof keyScopes;

/** Resources kept in the registry (`/cmk/v2/clusters`, `/srcm/v3/clusters`, `/ksqldbcm/v2/clusters`). */
export type RegisteredResourceType = 'kafka' | 'schema-registry' | 'ksqldb';

export const registeredResourceTypes = {
  kafka: { scope: 'Cluster', idKind: 'kafkaCluster', notFound: 'kafka_cluster_not_found', noun: 'Kafka cluster' },
  'schema-registry': {
    scope: 'SchemaRegistry',
    idKind: 'schemaRegistry',
    notFound: 'schema_registry_not_found',
    noun: 'Schema Registry',
  },
  ksqldb: { scope: 'ksqlDB', idKind: 'ksqldbCluster', notFound: 'ksqldb_cluster_not_found', noun: 'ksqlDB cluster' },
} as const;

/** Scopes that are resources of one environment. */
export function isEnvironmentScoped(kind: KeyScopeKind): boolean {
  return kind === 'Cluster' || kind === 'SchemaRegistry' || kind === 'ksqlDB' || kind === 'Region';
}

const REGION_ID_RE = /^(aws|gcp|azure)\.[a-z0-9-]+$/;

/**
 * The scope kind a resource id names, as clients send it: ids are case-insensitive and the
 * kind is inferred from the id's shape. Returns the normalised id too.
 */
export function inferKeyScope(rawId: string): { kind: KeyScopeKind; id: string } | undefined {
  const id = rawId.trim().toLowerCase();
  if (id === 'cloud') return { kind: 'Cloud', id };
  if (id === 'global') return { kind: 'Global', id };
  if (id === 'tableflow') return { kind: 'Tableflow', id };
  if (id.startsWith(idPrefixes.kafkaCluster.prefix)) return { kind: 'Cluster', id };
  if (id.startsWith(idPrefixes.schemaRegistry.prefix)) return { kind: 'SchemaRegistry', id };
  if (id.startsWith(idPrefixes.ksqldbCluster.prefix)) return { kind: 'ksqlDB', id };
  if (REGION_ID_RE.test(id)) return { kind: 'Region', id };
  return undefined;
}

/** Scopes whose keys may call the management API. */
export function isManagementScope(kind: KeyScopeKind): boolean {
  return kind === 'Cloud' || kind === 'Global';
}

const allScopeKinds = Object.keys(keyScopes) as KeyScopeKind[];

/** Cloud and Global: the scopes counted as "Cloud API keys" by quotas. */
export const managementScopeKinds: readonly KeyScopeKind[] = allScopeKinds.filter(isManagementScope);

/** Every resource-scoped kind: counted as "cluster API keys" by quotas. */
export const resourceScopeKinds: readonly KeyScopeKind[] = allScopeKinds.filter((k) => !isManagementScope(k));
