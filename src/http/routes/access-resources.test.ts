import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { addPrincipal, type Binding, crns, grant } from '../../../test/support/principals.js';
import { newId } from '../../domain/ids.js';
import type { RoleName } from '../../domain/roles.js';

/**
 * Who may use the environment, resource-registry, organization, Flink region and service-quota
 * endpoints, and what their lists show each principal. Principals and their role bindings are
 * written straight into the store; every request goes through the API.
 */

let kp: TestKeyplane;
let crn: ReturnType<typeof crns>;
let envA: string;
let envB: string;
let lkc1: string;
let lkc2: string;
let lkcB: string;
let srA: string;
let srB: string;
let ksqlA: string;
let ksqlA2: string;

const topic = (env: string, lkc: string, name: string) => `${crn.kafkaCluster(env, lkc)}/kafka=${lkc}/topic=${name}`;

async function created(method: string, path: string, body: unknown): Promise<string> {
  const res = await kp.call(method, path, { body });
  expect(res.status, res.text).toBeLessThan(300);
  return res.body.id;
}

const newEnvironment = (name = 'access') => created('POST', '/org/v2/environments', { display_name: name });

function kafkaBody(env: string, name = 'cluster') {
  return { spec: { display_name: name, cloud: 'AWS', region: 'us-east-1', environment: { id: env } } };
}
const srBody = (env: string) => ({ spec: { display_name: 'registry', cloud: 'AWS', region: 'us-east-1', environment: { id: env } } });
const ksqlBody = (env: string, kafka: string, name = 'app') => ({
  spec: { display_name: name, csu: 1, kafka_cluster: { id: kafka }, environment: { id: env } },
});

const newKafka = (env: string, name?: string) => created('POST', '/cmk/v2/clusters', kafkaBody(env, name));
const newSchemaRegistry = (env: string) => created('POST', '/srcm/v3/clusters', srBody(env));
const newKsql = (env: string, kafka: string, name?: string) => created('POST', '/ksqldbcm/v2/clusters', ksqlBody(env, kafka, name));

beforeAll(async () => {
  kp = await startTestKeyplane();
  crn = crns(kp);
  envA = await newEnvironment('A');
  envB = await newEnvironment('B');
  lkc1 = await newKafka(envA, 'one');
  lkc2 = await newKafka(envA, 'two');
  lkcB = await newKafka(envB, 'b');
  srA = await newSchemaRegistry(envA);
  srB = await newSchemaRegistry(envB);
  ksqlA = await newKsql(envA, lkc1, 'first');
  ksqlA2 = await newKsql(envA, lkc1, 'second');
});
afterAll(() => kp.close());

async function as(bindings: Binding[]) {
  return (await addPrincipal(kp, 'user', bindings)).auth;
}

function expectRefused(res: Reply, what: string): void {
  expect(res.status, `${what}: ${res.text}`).toBe(403);
  expect(res.body.errors[0].code, what).toBe('user_unauthorized');
  expect(res.body.errors[0].detail, what).toMatch(/^The principal 'User:u-[a-z0-9]+' is not allowed to perform \w+:\w+ on crn:\/\//);
}

/** What one request acts on; a fresh one is made for each case, so allowed changes do not collide. */
interface Target {
  path: string;
  body?: unknown;
  /** Where the minimum role is bound. */
  scope: string;
  /** Role bindings that must not be enough: the role on a sibling scope, a weaker role on the scope. */
  refused: Binding[];
}

interface AccessCase {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  endpoint: string;
  minimumRole: RoleName;
  status: number;
  target: () => Promise<Target>;
}

const cases: AccessCase[] = [
  // Environments
  {
    method: 'POST',
    endpoint: '/org/v2/environments',
    minimumRole: 'OrganizationAdmin',
    status: 201,
    target: async () => ({
      path: '/org/v2/environments',
      body: { display_name: 'made by a principal' },
      scope: crn.organization(),
      refused: [
        { role: 'EnvironmentAdmin', crn: crn.environment(envA) },
        { role: 'AccountAdmin', crn: crn.organization() },
      ],
    }),
  },
  {
    method: 'GET',
    endpoint: '/org/v2/environments/{id}',
    minimumRole: 'Operator',
    status: 200,
    target: async () => ({
      path: `/org/v2/environments/${envA}`,
      scope: crn.environment(envA),
      refused: [
        { role: 'Operator', crn: crn.environment(envB) },
        { role: 'AccountAdmin', crn: crn.organization() },
      ],
    }),
  },
  {
    method: 'PATCH',
    endpoint: '/org/v2/environments/{id}',
    minimumRole: 'EnvironmentAdmin',
    status: 200,
    target: async () => ({
      path: `/org/v2/environments/${envA}`,
      body: { display_name: 'A' },
      scope: crn.environment(envA),
      refused: [
        { role: 'EnvironmentAdmin', crn: crn.environment(envB) },
        { role: 'Operator', crn: crn.environment(envA) },
      ],
    }),
  },
  {
    method: 'DELETE',
    endpoint: '/org/v2/environments/{id}',
    minimumRole: 'EnvironmentAdmin',
    status: 204,
    target: async () => {
      const env = await newEnvironment('doomed');
      return {
        path: `/org/v2/environments/${env}`,
        scope: crn.environment(env),
        refused: [
          { role: 'EnvironmentAdmin', crn: crn.environment(envB) },
          { role: 'Operator', crn: crn.environment(env) },
        ],
      };
    },
  },
  // Kafka clusters
  {
    method: 'POST',
    endpoint: '/cmk/v2/clusters',
    minimumRole: 'EnvironmentAdmin',
    status: 202,
    target: async () => ({
      path: '/cmk/v2/clusters',
      body: kafkaBody(envA, 'made by a principal'),
      scope: crn.environment(envA),
      refused: [
        { role: 'EnvironmentAdmin', crn: crn.environment(envB) },
        { role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envA, lkc1) },
        { role: 'Operator', crn: crn.environment(envA) },
      ],
    }),
  },
  {
    method: 'GET',
    endpoint: '/cmk/v2/clusters/{id}',
    minimumRole: 'Operator',
    status: 200,
    target: async () => ({
      path: `/cmk/v2/clusters/${lkc1}?environment=${envA}`,
      scope: crn.kafkaCluster(envA, lkc1),
      refused: [
        { role: 'Operator', crn: crn.kafkaCluster(envA, lkc2) },
        { role: 'EnvironmentAdmin', crn: crn.environment(envB) },
      ],
    }),
  },
  {
    method: 'PATCH',
    endpoint: '/cmk/v2/clusters/{id}',
    minimumRole: 'CloudClusterAdmin',
    status: 200,
    target: async () => ({
      path: `/cmk/v2/clusters/${lkc1}`,
      body: { spec: { display_name: 'one' } },
      scope: crn.kafkaCluster(envA, lkc1),
      refused: [
        { role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envA, lkc2) },
        { role: 'Operator', crn: crn.kafkaCluster(envA, lkc1) },
        { role: 'EnvironmentAdmin', crn: crn.environment(envB) },
      ],
    }),
  },
  {
    method: 'DELETE',
    endpoint: '/cmk/v2/clusters/{id}',
    minimumRole: 'EnvironmentAdmin',
    status: 204,
    target: async () => {
      const lkc = await newKafka(envA, 'doomed');
      return {
        path: `/cmk/v2/clusters/${lkc}?environment=${envA}`,
        scope: crn.environment(envA),
        refused: [
          // roles.ts: a CloudClusterAdmin administers its cluster but does not delete it.
          { role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envA, lkc) },
          { role: 'EnvironmentAdmin', crn: crn.environment(envB) },
          { role: 'Operator', crn: crn.environment(envA) },
        ],
      };
    },
  },
  // Schema Registries (one per environment, so a create needs an environment without one)
  {
    method: 'POST',
    endpoint: '/srcm/v3/clusters',
    minimumRole: 'EnvironmentAdmin',
    status: 201,
    target: async () => {
      const env = await newEnvironment('registry');
      return {
        path: '/srcm/v3/clusters',
        body: srBody(env),
        scope: crn.environment(env),
        refused: [
          { role: 'EnvironmentAdmin', crn: crn.environment(envB) },
          { role: 'DataSteward', crn: crn.environment(env) },
        ],
      };
    },
  },
  {
    method: 'GET',
    endpoint: '/srcm/v3/clusters/{id}',
    minimumRole: 'DataDiscovery',
    status: 200,
    target: async () => ({
      path: `/srcm/v3/clusters/${srA}`,
      scope: crn.environment(envA),
      refused: [
        { role: 'DataDiscovery', crn: crn.environment(envB) },
        { role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envA, lkc1) },
      ],
    }),
  },
  {
    method: 'PATCH',
    endpoint: '/srcm/v3/clusters/{id}',
    minimumRole: 'DataSteward',
    status: 200,
    target: async () => ({
      path: `/srcm/v3/clusters/${srA}?environment=${envA}`,
      body: { spec: { display_name: 'registry' } },
      scope: crn.environment(envA),
      refused: [
        { role: 'DataSteward', crn: crn.environment(envB) },
        { role: 'Operator', crn: crn.environment(envA) },
      ],
    }),
  },
  {
    method: 'DELETE',
    endpoint: '/srcm/v3/clusters/{id}',
    minimumRole: 'EnvironmentAdmin',
    status: 204,
    target: async () => {
      const env = await newEnvironment('registry');
      const sr = await newSchemaRegistry(env);
      return {
        path: `/srcm/v3/clusters/${sr}`,
        scope: crn.environment(env),
        refused: [
          { role: 'EnvironmentAdmin', crn: crn.environment(envB) },
          { role: 'DataSteward', crn: crn.environment(env) },
        ],
      };
    },
  },
  // ksqlDB apps
  {
    method: 'POST',
    endpoint: '/ksqldbcm/v2/clusters',
    minimumRole: 'EnvironmentAdmin',
    status: 202,
    target: async () => ({
      path: '/ksqldbcm/v2/clusters',
      body: ksqlBody(envA, lkc1, 'made by a principal'),
      scope: crn.environment(envA),
      refused: [
        { role: 'EnvironmentAdmin', crn: crn.environment(envB) },
        { role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envA, lkc1) },
        { role: 'Operator', crn: crn.environment(envA) },
      ],
    }),
  },
  {
    method: 'GET',
    endpoint: '/ksqldbcm/v2/clusters/{id}',
    minimumRole: 'DeveloperRead',
    status: 200,
    target: async () => ({
      path: `/ksqldbcm/v2/clusters/${ksqlA}`,
      scope: crn.ksqldbCluster(envA, ksqlA),
      refused: [
        { role: 'DeveloperRead', crn: crn.ksqldbCluster(envA, ksqlA2) },
        { role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envA, lkc1) },
      ],
    }),
  },
  {
    method: 'PATCH',
    endpoint: '/ksqldbcm/v2/clusters/{id}',
    minimumRole: 'DeveloperManage',
    status: 200,
    target: async () => ({
      path: `/ksqldbcm/v2/clusters/${ksqlA}`,
      body: { spec: { display_name: 'first' } },
      scope: crn.ksqldbCluster(envA, ksqlA),
      refused: [
        { role: 'DeveloperManage', crn: crn.ksqldbCluster(envA, ksqlA2) },
        { role: 'DeveloperRead', crn: crn.ksqldbCluster(envA, ksqlA) },
      ],
    }),
  },
  {
    method: 'DELETE',
    endpoint: '/ksqldbcm/v2/clusters/{id}',
    // ResourceOwner grants KsqlCluster:* on its app (roles.ts kafkaData), Delete included.
    minimumRole: 'ResourceOwner',
    status: 204,
    target: async () => {
      const ksql = await newKsql(envA, lkc1, 'doomed');
      return {
        path: `/ksqldbcm/v2/clusters/${ksql}?environment=${envA}`,
        scope: crn.ksqldbCluster(envA, ksql),
        refused: [
          { role: 'ResourceOwner', crn: crn.ksqldbCluster(envA, ksqlA2) },
          { role: 'DeveloperManage', crn: crn.ksqldbCluster(envA, ksql) },
          { role: 'Operator', crn: crn.environment(envA) },
        ],
      };
    },
  },
  // The organization: any role anywhere in it makes it visible ("contains").
  {
    method: 'GET',
    endpoint: '/org/v2/organizations/{id}',
    minimumRole: 'DeveloperRead',
    status: 200,
    target: async () => ({
      path: `/org/v2/organizations/${kp.keyplane.services.orgId}`,
      scope: topic(envA, lkc1, 'orders'),
      refused: [],
    }),
  },
  {
    method: 'PATCH',
    endpoint: '/org/v2/organizations/{id}',
    minimumRole: 'OrganizationAdmin',
    status: 200,
    target: async () => ({
      path: `/org/v2/organizations/${kp.keyplane.services.orgId}`,
      body: { display_name: 'Access test org' },
      scope: crn.organization(),
      refused: [
        { role: 'AccountAdmin', crn: crn.organization() },
        { role: 'EnvironmentAdmin', crn: crn.environment(envA) },
      ],
    }),
  },
  // Flink regions: a catalogue any member of the organization reads.
  {
    method: 'GET',
    endpoint: '/fcpm/v2/regions',
    minimumRole: 'DeveloperRead',
    status: 200,
    target: async () => ({ path: '/fcpm/v2/regions', scope: topic(envA, lkc1, 'orders'), refused: [] }),
  },
  {
    method: 'GET',
    endpoint: '/fcpm/v2/regions/{id}',
    minimumRole: 'FlinkDeveloper',
    status: 200,
    target: async () => ({ path: '/fcpm/v2/regions/aws.us-east-1', scope: crn.environment(envB), refused: [] }),
  },
  // Applied quotas
  {
    method: 'GET',
    endpoint: '/service-quota/v1/applied-quotas/{id} (organization)',
    minimumRole: 'AccountAdmin',
    status: 200,
    target: async () => ({
      path: '/service-quota/v1/applied-quotas/iam.max_environments.per_org',
      scope: crn.organization(),
      refused: [{ role: 'EnvironmentAdmin', crn: crn.environment(envA) }],
    }),
  },
  {
    method: 'GET',
    endpoint: '/service-quota/v1/applied-quotas/{id} (user)',
    minimumRole: 'AccountAdmin',
    status: 200,
    target: async () => ({
      path: '/service-quota/v1/applied-quotas/iam.max_cloud_api_keys.per_user',
      scope: crn.organization(),
      refused: [{ role: 'EnvironmentAdmin', crn: crn.environment(envA) }],
    }),
  },
  {
    method: 'GET',
    endpoint: '/service-quota/v1/applied-quotas/{id} (Kafka cluster)',
    minimumRole: 'EnvironmentAdmin',
    status: 200,
    target: async () => ({
      path: `/service-quota/v1/applied-quotas/kafka.max_api_keys.per_cluster?kafka_cluster=${lkc1}`,
      scope: crn.environment(envA),
      refused: [
        { role: 'EnvironmentAdmin', crn: crn.environment(envB) },
        // No role bound at a cluster grants Quota:Describe.
        { role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envA, lkc1) },
      ],
    }),
  },
];

describe('who may call each endpoint', () => {
  it.each(cases)('$method $endpoint needs $minimumRole', async (c) => {
    const target = await c.target();
    const send = (auth: { key: string; secret: string }) => kp.call(c.method, target.path, { auth, body: target.body });

    expectRefused(await send(await as([])), 'no binding');
    for (const binding of target.refused) {
      expectRefused(await send(await as([binding])), `${binding.role} at ${binding.crn}`);
    }
    const allowed = await send(await as([{ role: c.minimumRole, crn: target.scope }]));
    expect(allowed.status, allowed.text).toBe(c.status);
  });

  it('answers 404 for a missing object whoever asks, and 403 for one the caller cannot see', async () => {
    const auth = await as([{ role: 'EnvironmentAdmin', crn: crn.environment(envB) }]);
    const missing: Array<[string, string]> = [
      ['/org/v2/environments/env-nope00', 'environment_not_found'],
      ['/cmk/v2/clusters/lkc-nope00', 'kafka_cluster_not_found'],
      ['/srcm/v3/clusters/lsrc-nope0', 'schema_registry_not_found'],
      ['/ksqldbcm/v2/clusters/lksqlc-nope0', 'ksqldb_cluster_not_found'],
    ];
    for (const [path, code] of missing) {
      const res = await kp.call('GET', path, { auth });
      expect(res.status, path).toBe(404);
      expect(res.body.errors[0].code).toBe(code);
    }
    for (const path of [`/org/v2/environments/${envA}`, `/cmk/v2/clusters/${lkc1}`, `/srcm/v3/clusters/${srA}`, `/ksqldbcm/v2/clusters/${ksqlA}`]) {
      expectRefused(await kp.call('GET', path, { auth }), path);
    }
  });

  it('checks permission before the body of a change', async () => {
    const auth = await as([{ role: 'Operator', crn: crn.environment(envA) }]);
    expectRefused(await kp.call('PATCH', `/org/v2/environments/${envA}`, { auth, body: { display_name: ' ' } }), 'environment');
    expectRefused(await kp.call('PATCH', `/cmk/v2/clusters/${lkc1}`, { auth, body: { spec: { display_name: ' ' } } }), 'cluster');
    expectRefused(await kp.call('POST', '/org/v2/environments', { auth, body: { display_name: ' ' } }), 'create');
  });

  it('lets a ksqlDB app run as another principal only for a caller who may assign that principal', async () => {
    const admin = await addPrincipal(kp, 'user', [{ role: 'EnvironmentAdmin', crn: crn.environment(envA) }]);
    const account = await addPrincipal(kp, 'service-account');
    const body = (identity: string, name: string) => ({
      spec: { ...ksqlBody(envA, lkc1, name).spec, credential_identity: { id: identity } },
    });
    const before = await kp.keyplane.services.store.count('resources', {});
    expectRefused(await kp.call('POST', '/ksqldbcm/v2/clusters', { auth: admin.auth, body: body(account.id, 'as-account') }), 'unassigned');
    expectRefused(await kp.call('POST', '/ksqldbcm/v2/clusters', { auth: admin.auth, body: body(kp.admin.userId, 'as-admin') }), 'other user');
    expect(await kp.keyplane.services.store.count('resources', {})).toBe(before);
    expect((await kp.call('POST', '/ksqldbcm/v2/clusters', { auth: admin.auth, body: body(admin.id, 'as-self') })).status).toBe(202);
    await grant(kp, admin.principal, [{ role: 'Assigner', crn: crn.serviceAccount(account.id) }]);
    expect((await kp.call('POST', '/ksqldbcm/v2/clusters', { auth: admin.auth, body: body(account.id, 'as-account') })).status).toBe(202);
  });
});

async function ids(path: string, auth: { key: string; secret: string }): Promise<string[]> {
  const sep = path.includes('?') ? '&' : '?';
  const res = await kp.call('GET', `${path}${sep}page_size=100`, { auth });
  expect(res.status, res.text).toBe(200);
  const found = res.body.data.map((item: { id: string }) => item.id) as string[];
  expect(res.body.metadata.total_size ?? 0, path).toBe(found.length);
  return found;
}

describe('lists show what the caller may describe', () => {
  it('environments: none without a binding, their own to an EnvironmentAdmin, the holding one to a developer, all to an OrganizationAdmin', async () => {
    expect(await ids('/org/v2/environments', await as([]))).toEqual([]);
    expect(await ids('/org/v2/environments', await as([{ role: 'EnvironmentAdmin', crn: crn.environment(envA) }]))).toEqual([envA]);
    expect(await ids('/org/v2/environments', await as([{ role: 'DeveloperRead', crn: topic(envA, lkc1, 'orders') }]))).toEqual([envA]);
    expect(await ids('/org/v2/environments', await as([{ role: 'AccountAdmin', crn: crn.organization() }]))).toEqual([]);
    const all = await ids('/org/v2/environments', kp.admin);
    expect(all).toEqual(expect.arrayContaining([envA, envB]));
    expect(await ids('/org/v2/environments', await as([{ role: 'OrganizationAdmin', crn: crn.organization() }]))).toEqual(all);
    expect(await ids('/org/v2/environments', await as([{ role: 'MetricsViewer', crn: crn.organization() }]))).toEqual(all);
  });

  it('Kafka clusters: by environment, with the environment filter still applied', async () => {
    const envAdminA = await as([{ role: 'EnvironmentAdmin', crn: crn.environment(envA) }]);
    const inA = await ids(`/cmk/v2/clusters?environment=${envA}`, envAdminA);
    expect(inA).toEqual(expect.arrayContaining([lkc1, lkc2]));
    expect(inA).not.toContain(lkcB);
    expect(await ids(`/cmk/v2/clusters?environment=${envB}`, envAdminA)).toEqual([]);
    expect(await ids(`/cmk/v2/clusters?environment=${envB}`, kp.admin)).toEqual([lkcB]);
    expect(await ids(`/cmk/v2/clusters?environment=${envA}`, kp.admin)).toEqual(inA);
    expect(await ids(`/cmk/v2/clusters?environment=${envA}`, await as([]))).toEqual([]);
  });

  it('Kafka clusters: one named in a binding, and what holds a bound topic, but not its sibling', async () => {
    const developer = await as([{ role: 'DeveloperRead', crn: topic(envA, lkc1, 'orders') }]);
    expect(await ids(`/cmk/v2/clusters?environment=${envA}`, developer)).toEqual([lkc1]);
    expect((await kp.call('GET', `/cmk/v2/clusters/${lkc1}`, { auth: developer })).status).toBe(200);
    expectRefused(await kp.call('GET', `/cmk/v2/clusters/${lkc2}`, { auth: developer }), 'sibling cluster');
    expect((await kp.call('GET', `/org/v2/environments/${envA}`, { auth: developer })).status).toBe(200);
    expectRefused(await kp.call('GET', `/org/v2/environments/${envB}`, { auth: developer }), 'other environment');

    const clusterAdmin2 = await as([{ role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envA, lkc2) }]);
    expect(await ids(`/cmk/v2/clusters?environment=${envA}`, clusterAdmin2)).toEqual([lkc2]);

    // A binding that names the cluster under the wrong environment reaches nothing.
    const misplaced = await as([{ role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envB, lkc1) }]);
    expect(await ids(`/cmk/v2/clusters?environment=${envA}`, misplaced)).toEqual([]);
  });

  it('Kafka clusters: a role granting Describe on every cluster of the organization lists them all', async () => {
    const keyAdmin = await as([{ role: 'ResourceKeyAdmin', crn: crn.organization() }]);
    expect(await ids(`/cmk/v2/clusters?environment=${envA}`, keyAdmin)).toEqual(await ids(`/cmk/v2/clusters?environment=${envA}`, kp.admin));
  });

  it('Schema Registries and ksqlDB apps', async () => {
    const developer = await as([{ role: 'DeveloperRead', crn: topic(envA, lkc1, 'orders') }]);
    expect(await ids(`/srcm/v3/clusters?environment=${envA}`, developer)).toEqual([]);
    expect(await ids(`/ksqldbcm/v2/clusters?environment=${envA}`, developer)).toEqual([]);

    const subjectReader = await as([{ role: 'DeveloperRead', crn: `${crn.schemaRegistry(envA, srA)}/subject=orders-value` }]);
    expect(await ids(`/srcm/v3/clusters?environment=${envA}`, subjectReader)).toEqual([srA]);

    const discovery = await as([{ role: 'DataDiscovery', crn: crn.environment(envB) }]);
    expect(await ids(`/srcm/v3/clusters?environment=${envB}`, discovery)).toEqual([srB]);
    expect(await ids(`/srcm/v3/clusters?environment=${envA}`, discovery)).toEqual([]);

    const appReader = await as([{ role: 'DeveloperRead', crn: crn.ksqldbCluster(envA, ksqlA) }]);
    expect(await ids(`/ksqldbcm/v2/clusters?environment=${envA}`, appReader)).toEqual([ksqlA]);

    const envAdminA = await as([{ role: 'EnvironmentAdmin', crn: crn.environment(envA) }]);
    expect(await ids(`/ksqldbcm/v2/clusters?environment=${envA}`, envAdminA)).toEqual(expect.arrayContaining([ksqlA, ksqlA2]));
  });

  it('organizations: the one organization to any member, nothing to a principal without a binding', async () => {
    expect(await ids('/org/v2/organizations', await as([]))).toEqual([]);
    const developer = await as([{ role: 'DeveloperRead', crn: topic(envA, lkc1, 'orders') }]);
    expect(await ids('/org/v2/organizations', developer)).toEqual([kp.keyplane.services.orgId]);
  });

  it('applied quotas: organization ones to an AccountAdmin, an environment’s clusters to its EnvironmentAdmin', async () => {
    const base = '/service-quota/v1/applied-quotas';
    const orgQuotas = await ids(`${base}?scope=ORGANIZATION`, kp.admin);
    expect(orgQuotas).toHaveLength(3);
    const accountAdmin = await as([{ role: 'AccountAdmin', crn: crn.organization() }]);
    expect(await ids(`${base}?scope=ORGANIZATION`, accountAdmin)).toEqual(orgQuotas);
    expect(await ids(`${base}?scope=USER_ACCOUNT`, accountAdmin)).toHaveLength(2);
    expect(await ids(`${base}?scope=KAFKA_CLUSTER&kafka_cluster=${lkc1}`, accountAdmin)).toHaveLength(1);

    const envAdminA = await as([{ role: 'EnvironmentAdmin', crn: crn.environment(envA) }]);
    expect(await ids(`${base}?scope=ORGANIZATION`, envAdminA)).toEqual([]);
    expect(await ids(`${base}?scope=SERVICE_ACCOUNT`, envAdminA)).toEqual([]);
    expect(await ids(`${base}?scope=KAFKA_CLUSTER`, envAdminA)).toEqual([]);
    expect(await ids(`${base}?scope=KAFKA_CLUSTER&kafka_cluster=${lkc1}`, envAdminA)).toEqual(['kafka.max_api_keys.per_cluster']);
    expect(await ids(`${base}?scope=KAFKA_CLUSTER&environment=${envA}`, envAdminA)).toEqual(['kafka.max_api_keys.per_cluster']);
    expect(await ids(`${base}?scope=KAFKA_CLUSTER&kafka_cluster=${lkcB}`, envAdminA)).toEqual([]);
    expect(await ids(`${base}?scope=KAFKA_CLUSTER&environment=${envB}`, envAdminA)).toEqual([]);

    expect(await ids(`${base}?scope=ORGANIZATION`, await as([]))).toEqual([]);
  });
});

/** ACL rows written straight into the store, as the ACL API would. */
async function addAcl(clusterId: string, principal: string): Promise<string> {
  const id = newId('kafkaAcl', randomBytes);
  await kp.keyplane.services.store.insert('kafkaAcls', {
    id,
    clusterId,
    principal,
    resourceType: 'TOPIC',
    resourceName: 'orders',
    patternType: 'LITERAL',
    operation: 'READ',
    host: '*',
    permission: 'ALLOW',
    createdAt: new Date().toISOString(),
  });
  return id;
}

async function bindingPatterns(principal: string): Promise<string[]> {
  const page = await kp.keyplane.services.store.list('roleBindings', { principal }, { limit: 1000 });
  return page.items.map((b) => b.crnPattern).sort();
}

async function aclIds(): Promise<string[]> {
  const page = await kp.keyplane.services.store.list('kafkaAcls', {}, { limit: 1000 });
  return page.items.map((a) => a.id);
}

describe('deleting an environment or a resource removes the access that named it', () => {
  it('an environment: the bindings on it and in it, and its clusters’ ACLs', async () => {
    const env = await newEnvironment('clean-up');
    const kafka = await newKafka(env);
    const sr = await newSchemaRegistry(env);
    const ksql = await newKsql(env, kafka);
    const { store } = kp.keyplane.services;
    const now = new Date().toISOString();
    // An environment whose id begins with the deleted one's: its bindings are not "inside" it.
    const twin = `${env}0`;
    await store.insert('environments', { id: twin, displayName: 'twin', streamGovernancePackage: null, createdAt: now, updatedAt: now });

    const someone = await addPrincipal(kp, 'service-account');
    const gone = [
      crn.environment(env),
      crn.kafkaCluster(env, kafka),
      topic(env, kafka, 'orders'),
      `${crn.schemaRegistry(env, sr)}/subject=orders-value`,
      crn.ksqldbCluster(env, ksql),
    ];
    const kept = [crn.environment(envA), topic(envA, lkc1, 'orders'), crn.environment(twin), crn.organization()];
    await grant(kp, someone.principal, [
      { role: 'EnvironmentAdmin', crn: gone[0]! },
      { role: 'CloudClusterAdmin', crn: gone[1]! },
      { role: 'DeveloperRead', crn: gone[2]! },
      { role: 'DeveloperRead', crn: gone[3]! },
      { role: 'ResourceOwner', crn: gone[4]! },
      { role: 'EnvironmentAdmin', crn: kept[0]! },
      { role: 'DeveloperRead', crn: kept[1]! },
      { role: 'EnvironmentAdmin', crn: kept[2]! },
      { role: 'MetricsViewer', crn: kept[3]! },
    ]);
    const doomedAcl = await addAcl(kafka, someone.principal);
    const keptAcl = await addAcl(lkc1, someone.principal);

    // Deleted by an EnvironmentAdmin of it, whose own binding goes too.
    const deleter = await addPrincipal(kp, 'user', [{ role: 'EnvironmentAdmin', crn: crn.environment(env) }]);
    expect((await kp.call('DELETE', `/org/v2/environments/${env}`, { auth: deleter.auth })).status).toBe(204);

    expect(await bindingPatterns(someone.principal)).toEqual([...kept].sort());
    expect(await bindingPatterns(deleter.principal)).toEqual([]);
    const acls = await aclIds();
    expect(acls).not.toContain(doomedAcl);
    expect(acls).toContain(keptAcl);
    expect(await store.count('resources', { environmentId: env })).toBe(0);
    await store.delete('environments', twin);
  });

  it('a Kafka cluster: the bindings on it and in it, its ACLs, and its ksqlDB apps’ bindings', async () => {
    const kafka = await newKafka(envA, 'clean-up');
    const ksql = await newKsql(envA, kafka, 'rides along');
    const someone = await addPrincipal(kp, 'user');
    const kept = [crn.kafkaCluster(envA, lkc1), topic(envA, lkc1, 'orders'), crn.environment(envA), crn.ksqldbCluster(envA, ksqlA)];
    await grant(kp, someone.principal, [
      { role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envA, kafka) },
      { role: 'DeveloperRead', crn: topic(envA, kafka, 'orders') },
      { role: 'DeveloperWrite', crn: `${crn.kafkaCluster(envA, kafka)}/kafka=${kafka}/topic=ord*` },
      { role: 'ResourceOwner', crn: crn.ksqldbCluster(envA, ksql) },
      { role: 'CloudClusterAdmin', crn: kept[0]! },
      { role: 'DeveloperRead', crn: kept[1]! },
      { role: 'Operator', crn: kept[2]! },
      { role: 'DeveloperRead', crn: kept[3]! },
    ]);
    const doomedAcls = [await addAcl(kafka, someone.principal), await addAcl(kafka, 'User:*')];
    const keptAcl = await addAcl(lkc1, someone.principal);

    const res = await kp.call('DELETE', `/cmk/v2/clusters/${kafka}`);
    expect(res.status).toBe(204);
    expect(await bindingPatterns(someone.principal)).toEqual([...kept].sort());
    const acls = await aclIds();
    for (const id of doomedAcls) expect(acls).not.toContain(id);
    expect(acls).toContain(keptAcl);
    expect(await kp.keyplane.services.store.get('resources', ksql)).toBeUndefined();
  });

  it('a Schema Registry and a ksqlDB app: the bindings on them and in them', async () => {
    const env = await newEnvironment('registry clean-up');
    const sr = await newSchemaRegistry(env);
    const ksql = await newKsql(envA, lkc1, 'clean-up');
    const someone = await addPrincipal(kp, 'user');
    const kept = [crn.environment(env), `${crn.schemaRegistry(envA, srA)}/subject=orders-value`, crn.ksqldbCluster(envA, ksqlA)];
    await grant(kp, someone.principal, [
      { role: 'DeveloperRead', crn: `${crn.schemaRegistry(env, sr)}/subject=orders-value` },
      { role: 'ResourceOwner', crn: `${crn.schemaRegistry(env, sr)}/subject=orders*` },
      { role: 'DeveloperManage', crn: crn.ksqldbCluster(envA, ksql) },
      { role: 'DataDiscovery', crn: kept[0]! },
      { role: 'DeveloperRead', crn: kept[1]! },
      { role: 'DeveloperRead', crn: kept[2]! },
    ]);
    expect((await kp.call('DELETE', `/srcm/v3/clusters/${sr}`)).status).toBe(204);
    expect((await kp.call('DELETE', `/ksqldbcm/v2/clusters/${ksql}`)).status).toBe(204);
    expect(await bindingPatterns(someone.principal)).toEqual([...kept].sort());
  });

  it('a refused delete removes nothing', async () => {
    const kafka = await newKafka(envA, 'kept');
    const clusterAdmin = await addPrincipal(kp, 'user', [{ role: 'CloudClusterAdmin', crn: crn.kafkaCluster(envA, kafka) }]);
    const acl = await addAcl(kafka, clusterAdmin.principal);
    expectRefused(await kp.call('DELETE', `/cmk/v2/clusters/${kafka}`, { auth: clusterAdmin.auth }), 'cluster admin');
    expect(await bindingPatterns(clusterAdmin.principal)).toEqual([crn.kafkaCluster(envA, kafka)]);
    expect(await aclIds()).toContain(acl);
    expect((await kp.call('GET', `/cmk/v2/clusters/${kafka}`)).status).toBe(200);
  });
});
