import type { Context } from 'hono';
import { keyScopes, registeredResourceTypes } from '../../domain/resources.js';
import type { RegisteredResource } from '../../services/resource-registry.js';
import type { AppEnv } from '../types.js';
import { environmentRef, link, objectMeta } from './common.js';

/** The API group a registered type is served under: `/cmk/v2/clusters` and `cmk/v2`, … */
export function resourceGroup(type: RegisteredResource['type']) {
  const scope = keyScopes[registeredResourceTypes[type].scope];
  return { path: scope.path, apiVersion: scope.apiVersion };
}

function resourceName(c: Context<AppEnv>, r: Pick<RegisteredResource, 'type' | 'environmentId' | 'id'>): string {
  const { crn } = c.get('services');
  if (r.type === 'kafka') return crn.kafkaCluster(r.environmentId, r.id);
  if (r.type === 'schema-registry') return crn.schemaRegistry(r.environmentId, r.id);
  return crn.ksqldbCluster(r.environmentId, r.id);
}

/** Endpoints are made up from the id: Keyplane registers resources, it does not run them. */
function host(r: RegisteredResource): string {
  return `${r.id}.${r.region}.${r.cloud.toLowerCase()}.keyplane.local`;
}

function kafkaClusterRef(c: Context<AppEnv>, id: string, environmentId: string) {
  return {
    id,
    environment: environmentId,
    related: link(c, `${resourceGroup('kafka').path}/${id}?environment=${environmentId}`),
    resource_name: resourceName(c, { type: 'kafka', environmentId, id }),
  };
}

function typeFields(c: Context<AppEnv>, r: RegisteredResource) {
  const a = r.attributes;
  if (r.type === 'kafka') {
    const config = a.config ?? { kind: 'Basic' };
    return {
      spec: {
        availability: a.availability ?? 'SINGLE_ZONE',
        config: { kind: config.kind, ...(config.cku !== undefined ? { cku: config.cku } : {}) },
        kafka_bootstrap_endpoint: `SASL_SSL://${host(r)}:9092`,
        http_endpoint: `https://${host(r)}:443`,
      },
      status: config.cku !== undefined ? { cku: config.cku } : {},
    };
  }
  if (r.type === 'schema-registry') {
    return { spec: { package: a.package ?? 'ESSENTIALS', http_endpoint: `https://${host(r)}` }, status: {} };
  }
  const csu = a.csu ?? 4;
  return {
    spec: {
      csu,
      use_detailed_processing_log: a.useDetailedProcessingLog ?? true,
      ...(a.kafkaClusterId ? { kafka_cluster: kafkaClusterRef(c, a.kafkaClusterId, r.environmentId) } : {}),
      ...(a.credentialIdentityId ? { credential_identity: { id: a.credentialIdentityId } } : {}),
    },
    // ksqldbcm/v2 reports the endpoint and storage in status, not spec.
    status: {
      http_endpoint: `https://${host(r)}:443`,
      is_paused: false,
      storage: csu * 125,
      topic_prefix: `pksqlc-${r.id.slice(r.id.indexOf('-') + 1)}`,
    },
  };
}

/** A Kafka cluster (cmk/v2), Schema Registry (srcm/v3) or ksqlDB cluster (ksqldbcm/v2) as Confluent shows it. */
export function presentResource(c: Context<AppEnv>, r: RegisteredResource) {
  const group = resourceGroup(r.type);
  const extra = typeFields(c, r);
  return {
    api_version: group.apiVersion,
    kind: 'Cluster',
    id: r.id,
    metadata: objectMeta(c, `${group.path}/${r.id}`, resourceName(c, r), r),
    spec: {
      display_name: r.displayName,
      cloud: r.cloud,
      region: r.region,
      ...extra.spec,
      environment: environmentRef(c, r.environmentId),
    },
    status: { phase: 'PROVISIONED', ...extra.status },
  };
}
