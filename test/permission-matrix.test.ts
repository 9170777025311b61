/**
 * The permission matrix: for every authenticated endpoint the server registers, a principal with
 * no binding is refused, one with the minimum role is allowed, and one with a role on a sibling
 * scope (or a lesser role where the object has no sibling) is refused. A list "refuses" by
 * leaving the object out; a hidden object answers 404, as a missing one does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleName } from '../src/domain/roles.js';
import { basic, type CallOptions, startTestKeyplane, type TestKeyplane } from './support/harness.js';
import { addPrincipal, type Binding, crns } from './support/principals.js';

let kp: TestKeyplane;
let c: ReturnType<typeof crns>;
const w = {} as {
  org: string;
  envA: string;
  envB: string;
  lkcA: string;
  lkcA2: string;
  srA: string;
  ksqlA: string;
  saA: string;
  saB: string;
  userU: string;
  keyOfSaA: string;
  keyOfLkcA: { key: string; secret: string };
  invitation: string;
  bindingOnEnvA: string;
};

async function ok(method: string, path: string, body?: unknown) {
  const res = await kp.call(method, path, { body });
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${res.text}`);
  return res.body;
}

const kafkaBody = (name: string, env: string) => ({
  spec: { display_name: name, cloud: 'aws', region: 'us-east-1', availability: 'SINGLE_ZONE', config: { kind: 'Basic' }, environment: { id: env } },
});
const srBody = (name: string, env: string) => ({
  spec: { display_name: name, cloud: 'GCP', region: 'us-central1', package: 'essentials', environment: { id: env } },
});
const ksqlBody = (name: string, env: string, kafka: string) => ({
  spec: { display_name: name, csu: 2, kafka_cluster: { id: kafka }, environment: { id: env } },
});

let counter = 0;
const unique = (stem: string) => `${stem}-${++counter}`;

beforeAll(async () => {
  kp = await startTestKeyplane();
  c = crns(kp);
  w.org = kp.keyplane.services.orgId;
  w.envA = (await ok('POST', '/org/v2/environments', { display_name: 'env-a' })).id;
  w.envB = (await ok('POST', '/org/v2/environments', { display_name: 'env-b' })).id;
  w.lkcA = (await ok('POST', '/cmk/v2/clusters', kafkaBody('lkc-a', w.envA))).id;
  w.lkcA2 = (await ok('POST', '/cmk/v2/clusters', kafkaBody('lkc-a2', w.envA))).id;
  w.srA = (await ok('POST', '/srcm/v3/clusters', srBody('sr-a', w.envA))).id;
  w.ksqlA = (await ok('POST', '/ksqldbcm/v2/clusters', ksqlBody('ksql-a', w.envA, w.lkcA))).id;
  w.saA = (await ok('POST', '/iam/v2/service-accounts', { display_name: 'sa-a' })).id;
  w.saB = (await ok('POST', '/iam/v2/service-accounts', { display_name: 'sa-b' })).id;
  w.keyOfSaA = (await ok('POST', '/iam/v2/api-keys', { spec: { owner: { id: w.saA } } })).id;
  const keyOfLkcA = await ok('POST', '/iam/v2/api-keys', { spec: { owner: { id: w.saA }, resource: { id: w.lkcA, environment: w.envA } } });
  w.keyOfLkcA = { key: keyOfLkcA.id, secret: keyOfLkcA.spec.secret };
  const invitation = await ok('POST', '/iam/v2/invitations', { email: 'invited@example.test' });
  w.invitation = invitation.id;
  w.userU = invitation.user.id;
  w.bindingOnEnvA = (await ok('POST', '/iam/v2/role-bindings', { principal: `User:${w.saB}`, role_name: 'Operator', crn_pattern: c.environment(w.envA) })).id;
});
afterAll(() => kp?.close());

interface Made {
  url: string;
  body?: unknown;
  listed?: string;
  headers?: Record<string, string>;
  /** The client's key, in Authorization; the caller then authenticates as the verifier. */
  clientAuth?: { key: string; secret: string };
}

interface Row {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The OpenAPI path this row covers. */
  path: string;
  /** Builds the request; may create what a destructive call consumes (as the admin). */
  request: () => Promise<Made>;
  minimum: () => Binding[];
  /** A role on a sibling scope, or a lesser role at the same one; absent where neither exists. */
  sibling?: () => Binding[];
  /** How a refused caller is answered: 403, or 404 where existence must not leak. */
  refused?: 403 | 404;
}

const b = (role: RoleName, crn: string): Binding => ({ role, crn });

const rows: Row[] = [
  // Organization
  { method: 'GET', path: '/org/v2/organizations', request: async () => ({ url: '/org/v2/organizations', listed: w.org }), minimum: () => [b('MetricsViewer', c.organization())] },
  { method: 'GET', path: '/org/v2/organizations/{id}', request: async () => ({ url: `/org/v2/organizations/${w.org}` }), minimum: () => [b('MetricsViewer', c.organization())] },
  {
    method: 'PATCH',
    path: '/org/v2/organizations/{id}',
    request: async () => ({ url: `/org/v2/organizations/${w.org}`, body: { display_name: unique('org') } }),
    minimum: () => [b('OrganizationAdmin', c.organization())],
    sibling: () => [b('AccountAdmin', c.organization())],
  },
  // Environments
  {
    method: 'GET',
    path: '/org/v2/environments',
    request: async () => ({ url: '/org/v2/environments?page_size=100', listed: w.envA }),
    minimum: () => [b('Operator', c.environment(w.envA))],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
  },
  {
    method: 'POST',
    path: '/org/v2/environments',
    request: async () => ({ url: '/org/v2/environments', body: { display_name: unique('env') } }),
    minimum: () => [b('OrganizationAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  {
    method: 'GET',
    path: '/org/v2/environments/{id}',
    request: async () => ({ url: `/org/v2/environments/${w.envA}` }),
    minimum: () => [b('Operator', c.environment(w.envA))],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
  },
  {
    method: 'PATCH',
    path: '/org/v2/environments/{id}',
    request: async () => ({ url: `/org/v2/environments/${w.envA}`, body: { display_name: unique('env-a') } }),
    minimum: () => [b('EnvironmentAdmin', c.environment(w.envA))],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
  },
  {
    method: 'DELETE',
    path: '/org/v2/environments/{id}',
    request: async () => {
      const env = (await ok('POST', '/org/v2/environments', { display_name: unique('doomed') })).id;
      lastCreatedEnv = env;
      return { url: `/org/v2/environments/${env}` };
    },
    minimum: () => [b('EnvironmentAdmin', c.environment(lastEnv()))],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
  },
  // Users
  {
    method: 'GET',
    path: '/iam/v2/users',
    request: async () => ({ url: '/iam/v2/users?page_size=100', listed: w.userU }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  {
    method: 'GET',
    path: '/iam/v2/users/{id}',
    request: async () => ({ url: `/iam/v2/users/${w.userU}` }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  {
    method: 'PATCH',
    path: '/iam/v2/users/{id}',
    request: async () => ({ url: `/iam/v2/users/${w.userU}`, body: { full_name: unique('Someone') } }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  {
    method: 'DELETE',
    path: '/iam/v2/users/{id}',
    request: async () => {
      const invitation = await ok('POST', '/iam/v2/invitations', { email: `${unique('gone')}@example.test` });
      return { url: `/iam/v2/users/${invitation.user.id}` };
    },
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  // Invitations
  {
    method: 'GET',
    path: '/iam/v2/invitations',
    request: async () => ({ url: '/iam/v2/invitations?page_size=100', listed: w.invitation }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  {
    method: 'POST',
    path: '/iam/v2/invitations',
    request: async () => ({ url: '/iam/v2/invitations', body: { email: `${unique('new')}@example.test` } }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  {
    method: 'GET',
    path: '/iam/v2/invitations/{id}',
    request: async () => ({ url: `/iam/v2/invitations/${w.invitation}` }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  {
    method: 'DELETE',
    path: '/iam/v2/invitations/{id}',
    request: async () => {
      const invitation = await ok('POST', '/iam/v2/invitations', { email: `${unique('withdrawn')}@example.test` });
      return { url: `/iam/v2/invitations/${invitation.id}` };
    },
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  {
    method: 'POST',
    path: '/console/v1/invitations/{id}/link',
    request: async () => {
      const invitation = await ok('POST', '/iam/v2/invitations', { email: `${unique('linked')}@example.test` });
      return { url: `/console/v1/invitations/${invitation.id}/link` };
    },
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  // Service accounts
  {
    method: 'GET',
    path: '/iam/v2/service-accounts',
    request: async () => ({ url: '/iam/v2/service-accounts?page_size=100', listed: w.saA }),
    minimum: () => [b('ResourceOwner', c.serviceAccount(w.saA))],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saB))],
  },
  {
    method: 'POST',
    path: '/iam/v2/service-accounts',
    request: async () => ({ url: '/iam/v2/service-accounts', body: { display_name: unique('sa') } }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saA))],
  },
  {
    method: 'GET',
    path: '/iam/v2/service-accounts/{id}',
    request: async () => ({ url: `/iam/v2/service-accounts/${w.saA}` }),
    minimum: () => [b('Assigner', c.serviceAccount(w.saA))],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saB))],
  },
  {
    method: 'PATCH',
    path: '/iam/v2/service-accounts/{id}',
    request: async () => ({ url: `/iam/v2/service-accounts/${w.saA}`, body: { description: unique('changed') } }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saA))],
  },
  {
    method: 'DELETE',
    path: '/iam/v2/service-accounts/{id}',
    request: async () => ({ url: `/iam/v2/service-accounts/${(await ok('POST', '/iam/v2/service-accounts', { display_name: unique('doomed-sa') })).id}` }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saB))],
  },
  // API keys
  {
    method: 'GET',
    path: '/iam/v2/api-keys',
    request: async () => ({ url: '/iam/v2/api-keys?page_size=100', listed: w.keyOfSaA }),
    minimum: () => [b('ResourceOwner', c.serviceAccount(w.saA))],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saB))],
  },
  {
    method: 'POST',
    path: '/iam/v2/api-keys',
    request: async () => ({ url: '/iam/v2/api-keys', body: { spec: { owner: { id: w.saA }, resource: { id: w.lkcA } } } }),
    minimum: () => [b('ResourceOwner', c.serviceAccount(w.saA)), b('DeveloperRead', `${c.kafkaCluster(w.envA, w.lkcA)}/kafka=${w.lkcA}/topic=orders`)],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saB)), b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA2))],
  },
  {
    method: 'GET',
    path: '/iam/v2/api-keys/{id}',
    request: async () => ({ url: `/iam/v2/api-keys/${w.keyOfSaA}` }),
    minimum: () => [b('ResourceOwner', c.serviceAccount(w.saA))],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saB))],
    refused: 404,
  },
  {
    method: 'PATCH',
    path: '/iam/v2/api-keys/{id}',
    request: async () => ({ url: `/iam/v2/api-keys/${w.keyOfSaA}`, body: { spec: { description: unique('described') } } }),
    minimum: () => [b('ResourceOwner', c.serviceAccount(w.saA))],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saB))],
    refused: 404,
  },
  {
    method: 'DELETE',
    path: '/iam/v2/api-keys/{id}',
    request: async () => ({ url: `/iam/v2/api-keys/${(await ok('POST', '/iam/v2/api-keys', { spec: { owner: { id: w.saA } } })).id}` }),
    minimum: () => [b('ResourceOwner', c.serviceAccount(w.saA))],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saB))],
    refused: 404,
  },
  // Role bindings
  {
    method: 'GET',
    path: '/iam/v2/role-bindings',
    request: async () => ({ url: `/iam/v2/role-bindings?crn_pattern=${encodeURIComponent(c.environment(w.envA))}`, listed: w.bindingOnEnvA }),
    minimum: () => [b('EnvironmentAdmin', c.environment(w.envA))],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
  },
  {
    method: 'POST',
    path: '/iam/v2/role-bindings',
    request: async () => ({
      url: '/iam/v2/role-bindings',
      body: { principal: `User:${w.saA}`, role_name: 'DeveloperRead', crn_pattern: `${c.kafkaCluster(w.envA, w.lkcA)}/kafka=${w.lkcA}/topic=${unique('t')}` },
    }),
    minimum: () => [b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA))],
    sibling: () => [b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA2))],
  },
  {
    method: 'GET',
    path: '/iam/v2/role-bindings/{id}',
    request: async () => ({ url: `/iam/v2/role-bindings/${w.bindingOnEnvA}` }),
    minimum: () => [b('EnvironmentAdmin', c.environment(w.envA))],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
    refused: 404,
  },
  {
    method: 'DELETE',
    path: '/iam/v2/role-bindings/{id}',
    request: async () => {
      const crn_pattern = `${c.kafkaCluster(w.envA, w.lkcA)}/kafka=${w.lkcA}/topic=${unique('bound')}`;
      const rb = await ok('POST', '/iam/v2/role-bindings', { principal: `User:${w.saB}`, role_name: 'DeveloperRead', crn_pattern });
      return { url: `/iam/v2/role-bindings/${rb.id}` };
    },
    minimum: () => [b('EnvironmentAdmin', c.environment(w.envA))],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
    refused: 404,
  },
  // Audit log
  {
    method: 'GET',
    path: '/audit/v1/events',
    request: async () => ({ url: '/audit/v1/events?page_size=1' }),
    minimum: () => [b('AuditLogReader', c.organization())],
    sibling: () => [b('AccountAdmin', c.organization())],
  },
  {
    method: 'GET',
    path: '/audit/v1/key-usage',
    request: async () => ({ url: `/audit/v1/key-usage?key=${w.keyOfSaA}` }),
    minimum: () => [b('ResourceOwner', c.serviceAccount(w.saA))],
    sibling: () => [b('ResourceOwner', c.serviceAccount(w.saB))],
    refused: 404,
  },
  // Kafka ACLs
  ...(['GET', 'POST', 'DELETE'] as const).map(
    (method): Row => ({
      method,
      path: '/kafka/v3/clusters/{cluster_id}/acls',
      request: async () => {
        const rule = { resource_type: 'TOPIC', resource_name: unique('topic'), pattern_type: 'LITERAL', principal: `User:${w.saA}`, host: '*', operation: 'READ', permission: 'ALLOW' };
        const base = `/kafka/v3/clusters/${w.lkcA}/acls`;
        if (method === 'POST') return { url: base, body: rule };
        await ok('POST', base, rule);
        return { url: `${base}?${new URLSearchParams(rule)}` };
      },
      minimum: () => [b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA))],
      sibling: () => [b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA2))],
      // Neither caller can see the cluster, so it answers as a missing one.
      refused: 404,
    }),
  ),
  // Flink regions: a catalogue every member of the organization may read.
  { method: 'GET', path: '/fcpm/v2/regions', request: async () => ({ url: '/fcpm/v2/regions?cloud=aws&page_size=100', listed: 'aws.us-east-1' }), minimum: () => [b('FlinkDeveloper', c.environment(w.envA))] },
  { method: 'GET', path: '/fcpm/v2/regions/{id}', request: async () => ({ url: '/fcpm/v2/regions/aws.us-east-1' }), minimum: () => [b('FlinkDeveloper', c.environment(w.envA))] },
  // Quotas
  {
    method: 'GET',
    path: '/service-quota/v1/applied-quotas',
    request: async () => ({ url: '/service-quota/v1/applied-quotas?scope=ORGANIZATION&page_size=100', listed: 'iam.max_environments.per_org' }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  {
    method: 'GET',
    path: '/service-quota/v1/applied-quotas/{id}',
    request: async () => ({ url: '/service-quota/v1/applied-quotas/iam.max_environments.per_org' }),
    minimum: () => [b('AccountAdmin', c.organization())],
    sibling: () => [b('EnvironmentAdmin', c.environment(w.envA))],
  },
  // Leak checks: any caller may learn that a secret is live; the key is named (listed) only to one who may manage it.
  {
    method: 'POST',
    path: '/v1/leaks/check',
    request: async () => ({ url: '/v1/leaks/check', body: [{ secret: w.keyOfLkcA.secret }], listed: w.keyOfLkcA.key }),
    minimum: () => [b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA))],
    sibling: () => [b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA2))],
  },
  // Data plane: the caller is the verifier; a Cloud key needs ApiKey:Verify on the resource.
  {
    method: 'POST',
    path: '/v1/verify',
    request: async () => ({ url: '/v1/verify', body: { ...w.keyOfLkcA, resource: w.lkcA } }),
    minimum: () => [b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA))],
    sibling: () => [b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA2))],
  },
  {
    method: 'GET',
    path: '/v1/auth/nginx',
    request: async () => ({ url: '/v1/auth/nginx', headers: { 'x-keyplane-resource': w.lkcA }, clientAuth: w.keyOfLkcA }),
    minimum: () => [b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA))],
    sibling: () => [b('CloudClusterAdmin', c.kafkaCluster(w.envA, w.lkcA2))],
  },
];

/** The request as `auth` makes it: in Authorization, or as the verifier where the client's key takes Authorization. */
function callOptions(made: Made, auth: { key: string; secret: string }): CallOptions {
  if (!made.clientAuth) return { auth, body: made.body };
  return { auth: made.clientAuth, body: made.body, headers: { ...made.headers, 'x-keyplane-verifier': basic(auth.key, auth.secret) } };
}

/** The environment the last destructive row's request created; its minimum role is bound on it. */
let lastCreatedEnv = '';
const lastEnv = () => lastCreatedEnv;

for (const [path, api, body] of [
  ['/cmk/v2/clusters', 'KafkaCluster', (name: string, env: string) => kafkaBody(name, env)],
  ['/srcm/v3/clusters', 'SchemaRegistry', (name: string, env: string) => srBody(name, env)],
  ['/ksqldbcm/v2/clusters', 'KsqlCluster', (name: string, env: string) => ksqlBody(name, env, w.lkcA)],
] as const) {
  const existing = () => (api === 'KafkaCluster' ? w.lkcA : api === 'SchemaRegistry' ? w.srA : w.ksqlA);
  const crnOf = (id: string) =>
    api === 'KafkaCluster' ? c.kafkaCluster(w.envA, id) : api === 'SchemaRegistry' ? c.schemaRegistry(w.envA, id) : c.ksqldbCluster(w.envA, id);
  const owner = (id: string): Binding => (api === 'KafkaCluster' ? b('CloudClusterAdmin', crnOf(id)) : b('ResourceOwner', crnOf(id)));
  const ownerRole = () => (api === 'SchemaRegistry' ? b('DataSteward', c.environment(w.envA)) : owner(existing()));
  rows.push(
    {
      method: 'GET',
      path,
      request: async () => ({ url: `${path}?environment=${w.envA}&page_size=100`, listed: existing() }),
      minimum: () => [b('Operator', c.environment(w.envA))],
      sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
    },
    {
      method: 'POST',
      path,
      request: async () => {
        // Schema Registries are one per environment: each create gets an environment of its own.
        const env = (await ok('POST', '/org/v2/environments', { display_name: unique('target') })).id;
        lastCreatedEnv = env;
        const host = api === 'KsqlCluster' ? (await ok('POST', '/cmk/v2/clusters', kafkaBody(unique('host'), env))).id : '';
        return { url: path, body: api === 'KsqlCluster' ? ksqlBody(unique('created'), env, host) : body(unique('created'), env) };
      },
      minimum: () => [b('EnvironmentAdmin', c.environment(lastEnv()))],
      sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
    },
    {
      method: 'GET',
      path: `${path}/{id}`,
      request: async () => ({ url: `${path}/${existing()}?environment=${w.envA}` }),
      minimum: () => [b('Operator', c.environment(w.envA))],
      sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
    },
    {
      method: 'PATCH',
      path: `${path}/{id}`,
      request: async () => ({ url: `${path}/${existing()}?environment=${w.envA}`, body: { spec: { display_name: unique('renamed'), environment: { id: w.envA } } } }),
      minimum: () => [ownerRole()],
      sibling: () => [b('Operator', c.environment(w.envA))],
    },
    {
      method: 'DELETE',
      path: `${path}/{id}`,
      request: async () => {
        // Schema Registries are one per environment: each delete gets an environment of its own.
        const env = (await ok('POST', '/org/v2/environments', { display_name: unique('holder') })).id;
        lastCreatedEnv = env;
        const host = api === 'KsqlCluster' ? (await ok('POST', '/cmk/v2/clusters', kafkaBody(unique('host'), env))).id : '';
        const spec = api === 'KsqlCluster' ? ksqlBody(unique('doomed'), env, host) : body(unique('doomed'), env);
        const id = (await ok('POST', path, spec)).id;
        return { url: `${path}/${id}?environment=${env}` };
      },
      minimum: () => [b('EnvironmentAdmin', c.environment(lastEnv()))],
      sibling: () => [b('EnvironmentAdmin', c.environment(w.envB))],
    },
  );
}

async function attempt(row: Row, bindings: Binding[]) {
  const made = await row.request();
  const who = await addPrincipal(kp, 'user', bindings);
  const res = await kp.call(row.method, made.url, callOptions(made, who.auth));
  return { res, listed: made.listed };
}

/** The ids an answer shows: a page's items, or the keys a leak check names. */
function listedIds(body: any): string[] {
  if (Array.isArray(body)) return body.flatMap((answer: { key?: { id: string } }) => (answer.key ? [answer.key.id] : []));
  return (body.data as Array<{ id: string }>).map((item) => item.id);
}

function refusedAs(row: Row, outcome: Awaited<ReturnType<typeof attempt>>, who: string) {
  const { res, listed } = outcome;
  const context = `${row.method} ${row.path} as ${who}: ${res.status} ${res.text.slice(0, 300)}`;
  if (listed !== undefined && res.status === 200) {
    const ids = listedIds(res.body);
    expect(ids, context).not.toContain(listed);
    return;
  }
  expect(res.status, context).toBe(row.refused ?? 403);
  expect(res.body.errors[0].code, context).toEqual(row.refused === 404 ? expect.stringMatching(/_not_found$/) : 'user_unauthorized');
}

describe('permission matrix', () => {
  it('has a row for every authenticated endpoint the server registers', async () => {
    const document = (await kp.call('GET', '/openapi.json', { auth: false, skipSpec: true })).body as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const endpoints = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => !(Array.isArray(op.security) && op.security.length === 0))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    const covered = rows.map((r) => `${r.method} ${r.path}`);
    expect(endpoints.filter((e) => !covered.includes(e))).toEqual([]);
    expect(covered.filter((e) => !endpoints.includes(e))).toEqual([]);
  });

  for (const row of rows) {
    describe(`${row.method} ${row.path}`, () => {
      it('refuses a principal with no binding', async () => {
        refusedAs(row, await attempt(row, []), 'a principal with no binding');
      });

      it('allows the minimum role', async () => {
        const made = await row.request();
        const who = await addPrincipal(kp, 'user', row.minimum());
        const res = await kp.call(row.method, made.url, callOptions(made, who.auth));
        const context = `${row.method} ${row.path} with ${JSON.stringify(row.minimum().map((x) => x.role))}: ${res.status} ${res.text.slice(0, 300)}`;
        expect(res.status, context).toBeLessThan(300);
        if (made.listed !== undefined) expect(listedIds(res.body), context).toContain(made.listed);
      });

      if (row.sibling) {
        const sibling = row.sibling;
        it('refuses a role on a sibling scope, or a lesser role', async () => {
          refusedAs(row, await attempt(row, sibling()), JSON.stringify(sibling()));
        });
      }
    });
  }
});
