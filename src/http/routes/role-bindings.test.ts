import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { addPrincipal, crns, type TestPrincipal } from '../../../test/support/principals.js';
import { type IdKind, newId } from '../../domain/ids.js';

let kp: TestKeyplane;
let c: ReturnType<typeof crns>;
let org: string;
let admin: string;
beforeAll(async () => {
  kp = await startTestKeyplane();
  c = crns(kp);
  org = c.organization();
  admin = `User:${kp.admin.userId}`;
});
afterAll(() => kp.close());

const BASE = '/iam/v2/role-bindings';

interface Binding {
  id: string;
  principal: string;
  role_name: string;
  crn_pattern: string;
}

type Auth = TestPrincipal['auth'] | undefined;

/** Environments and registered resources are written straight to the store: these tests are about bindings. */
async function addEnvironment(): Promise<string> {
  const now = new Date().toISOString();
  const id = newId('environment', randomBytes);
  await kp.keyplane.services.store.insert('environments', { id, displayName: id, streamGovernancePackage: null, createdAt: now, updatedAt: now });
  return id;
}

const resourceKinds = { kafka: 'kafkaCluster', 'schema-registry': 'schemaRegistry', ksqldb: 'ksqldbCluster' } as const satisfies Record<string, IdKind>;

async function addResource(type: keyof typeof resourceKinds, environmentId: string): Promise<string> {
  const now = new Date().toISOString();
  const id = newId(resourceKinds[type], randomBytes);
  await kp.keyplane.services.store.insert('resources', {
    id,
    type,
    environmentId,
    displayName: id,
    cloud: 'AWS',
    region: 'us-east-1',
    attributes: '{}',
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

/** An environment with a Kafka cluster, and CRN builders inside them. */
async function addCluster() {
  const env = await addEnvironment();
  const lkc = await addResource('kafka', env);
  const envCrn = c.environment(env);
  const clusterCrn = c.kafkaCluster(env, lkc);
  return { env, lkc, envCrn, clusterCrn, topic: (name: string) => `${clusterCrn}/kafka=${lkc}/topic=${name}` };
}

function post(body: unknown, auth?: Auth): Promise<Reply> {
  return kp.call('POST', BASE, { body, auth });
}

async function bind(principal: string, role_name: string, crn_pattern: string, auth?: Auth): Promise<Binding> {
  const res = await post({ principal, role_name, crn_pattern }, auth);
  expect(res.status, res.text).toBe(201);
  return res.body as Binding;
}

async function list(query: Record<string, string>, auth?: Auth): Promise<Reply> {
  return kp.call('GET', `${BASE}?${new URLSearchParams(query)}`, { auth });
}

async function listIds(query: Record<string, string>, auth?: Auth): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined = `${BASE}?${new URLSearchParams({ page_size: '100', ...query })}`;
  while (next) {
    const res: Reply = await kp.call('GET', next, { auth });
    expect(res.status, res.text).toBe(200);
    ids.push(...res.body.data.map((b: Binding) => b.id));
    next = res.body.metadata.next?.slice(kp.publicUrl.length);
  }
  return ids.sort();
}

const ids = (...bindings: Binding[]) => bindings.map((b) => b.id).sort();

function countBindings(): Promise<number> {
  return kp.keyplane.services.store.count('roleBindings', {});
}

function expectError(res: Reply, status: number, code: string, source?: { pointer?: string; parameter?: string }) {
  expect(res.status, res.text).toBe(status);
  expect(res.body.errors[0].code).toBe(code);
  if (source) expect(res.body.errors[0].source).toEqual(source);
}

describe('role bindings: create, read, list, delete', () => {
  it('round-trips a binding as the organization admin', async () => {
    const { topic } = await addCluster();
    const sa = await addPrincipal(kp, 'service-account');
    const res = await post({ principal: sa.principal, role_name: 'DeveloperRead', crn_pattern: topic('orders'), kind: 'RoleBinding', id: 'rb-ignored' });
    expect(res.status, res.text).toBe(201);
    const binding = res.body;
    expect(binding.id).toMatch(/^rb-[a-z0-9]{5}$/);
    expect(res.headers.get('location')).toBe(`${kp.publicUrl}${BASE}/${binding.id}`);
    expect(binding).toEqual({
      api_version: 'iam/v2',
      kind: 'RoleBinding',
      id: binding.id,
      metadata: { self: `${kp.publicUrl}${BASE}/${binding.id}`, resource_name: c.roleBinding(binding.id), created_at: expect.any(String) },
      principal: sa.principal,
      role_name: 'DeveloperRead',
      crn_pattern: topic('orders'),
    });

    const got = await kp.call('GET', `${BASE}/${binding.id.toUpperCase()}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(binding);

    const listed = await list({ crn_pattern: topic('orders') });
    expect(listed.body).toMatchObject({ api_version: 'iam/v2', kind: 'RoleBindingList', metadata: { total_size: 1 } });
    expect(listed.body.data).toEqual([binding]);

    const deleted = await kp.call('DELETE', `${BASE}/${binding.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual(binding);
    expectError(await kp.call('GET', `${BASE}/${binding.id}`), 404, 'role_binding_not_found');
    expectError(await kp.call('DELETE', `${BASE}/${binding.id}`), 404, 'role_binding_not_found');
    expect((await list({ crn_pattern: topic('orders') })).body.data).toEqual([]);
  });

  it('stores ids in lower case, so a pattern or principal written in upper case is the same binding', async () => {
    const { env, lkc, topic } = await addCluster();
    const user = await addPrincipal(kp, 'user');
    const upper = `${c.kafkaCluster(env.toUpperCase(), lkc.toUpperCase())}/kafka=${lkc.toUpperCase()}/topic=Orders`;
    const created = await bind(`User:${user.id.toUpperCase()}`, 'DeveloperRead', upper);
    expect(created).toMatchObject({ principal: user.principal, crn_pattern: topic('Orders') });

    const again = await post({ principal: user.principal, role_name: 'DeveloperRead', crn_pattern: topic('Orders') });
    expectError(again, 409, 'resource_already_exists');
    expect(again.headers.get('location')).toBe(`${kp.publicUrl}${BASE}/${created.id}`);
    // Topic names keep their case: another topic, another binding.
    await bind(user.principal, 'DeveloperRead', topic('orders'));
  });

  it('filters by principal, role, exact pattern, a scope and everything in it, and a prefix', async () => {
    const { env, envCrn, clusterCrn, topic } = await addCluster();
    const p = await addPrincipal(kp, 'user');
    const q = await addPrincipal(kp, 'service-account');
    const envAdmin = await bind(p.principal, 'EnvironmentAdmin', envCrn);
    const clusterAdmin = await bind(p.principal, 'CloudClusterAdmin', clusterCrn);
    const orders = await bind(p.principal, 'DeveloperRead', topic('orders'));
    const ordPrefix = await bind(p.principal, 'DeveloperRead', topic('ord*'));
    const payments = await bind(p.principal, 'DeveloperWrite', topic('payments'));
    const qOrders = await bind(q.principal, 'DeveloperRead', topic('orders'));
    const all = ids(envAdmin, clusterAdmin, orders, ordPrefix, payments, qOrders);

    expect(await listIds({ crn_pattern: envCrn })).toEqual(ids(envAdmin));
    expect(await listIds({ crn_pattern: `${envCrn}/*` })).toEqual(all);
    expect(await listIds({ crn_pattern: `${envCrn.replace(env, env.toUpperCase())}/*` })).toEqual(all);
    expect(await listIds({ crn_pattern: `${clusterCrn}/*` })).toEqual(ids(clusterAdmin, orders, ordPrefix, payments, qOrders));
    expect(await listIds({ crn_pattern: topic('ord*') })).toEqual(ids(orders, ordPrefix, qOrders));
    expect(await listIds({ crn_pattern: topic('orders') })).toEqual(ids(orders, qOrders));
    expect(await listIds({ crn_pattern: `${envCrn}/*`, principal: p.principal })).toEqual(ids(envAdmin, clusterAdmin, orders, ordPrefix, payments));
    expect(await listIds({ crn_pattern: `${envCrn}/*`, role_name: 'DeveloperRead' })).toEqual(ids(orders, ordPrefix, qOrders));
    expect(await listIds({ crn_pattern: `${envCrn}/*`, role_name: 'DeveloperRead', principal: q.principal })).toEqual(ids(qOrders));
    expect(await listIds({ crn_pattern: `${org}/*`, principal: q.principal })).toEqual(ids(qOrders));
    expect(await listIds({ crn_pattern: `${envCrn}-other/*` })).toEqual([]);

    // Paging walks the same set in pages, each binding once.
    const seen: string[] = [];
    let next: string | undefined = `${BASE}?${new URLSearchParams({ crn_pattern: `${envCrn}/*`, page_size: '4' })}`;
    let pages = 0;
    while (next) {
      const page: Reply = await kp.call('GET', next);
      expect(page.status).toBe(200);
      expect(page.body.metadata.total_size).toBe(6);
      seen.push(...page.body.data.map((b: Binding) => b.id));
      next = page.body.metadata.next?.slice(kp.publicUrl.length);
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual(all);
  });

  it('requires crn_pattern when listing and checks the filters', async () => {
    expectError(await kp.call('GET', BASE), 400, 'invalid_filter', { parameter: 'crn_pattern' });
    expect((await kp.call('GET', BASE)).body.errors[0].detail).toContain('crn_pattern');
    expectError(await list({ crn_pattern: '' }), 400, 'invalid_filter', { parameter: 'crn_pattern' });
    expectError(await list({ principal: admin }), 400, 'invalid_filter', { parameter: 'crn_pattern' });
    expectError(await list({ crn_pattern: 'environment=env-1' }), 400, 'invalid_filter', { parameter: 'crn_pattern' });
    expectError(await list({ crn_pattern: `${org}/*`, role_name: 'Superuser' }), 400, 'invalid_filter', { parameter: 'role_name' });
    expectError(await list({ crn_pattern: `${org}/*`, page_token: 'nonsense' }), 400, 'invalid_page_token');
    expectError(await list({ crn_pattern: `${org}/${'x'.repeat(5000)}` }), 400, 'invalid_filter', { parameter: 'crn_pattern' });
    const admins = await list({ crn_pattern: org, role_name: 'OrganizationAdmin' });
    expect(admins.body.data.map((b: Binding) => b.principal)).toContain(admin);
  });
});

describe('role bindings: what a binding may say', () => {
  let user: TestPrincipal;
  let cluster: Awaited<ReturnType<typeof addCluster>>;
  beforeAll(async () => {
    user = await addPrincipal(kp, 'user');
    cluster = await addCluster();
  });

  it('refuses an unknown role, listing the valid ones', async () => {
    const res = await post({ principal: user.principal, role_name: 'SuperAdmin', crn_pattern: cluster.envCrn });
    expectError(res, 400, 'bad_request', { pointer: '/role_name' });
    expect(res.body.errors[0].detail).toContain('EnvironmentAdmin');
    expect(res.body.errors[0].detail).toContain('DeveloperRead');
  });

  it('refuses a role at a scope it cannot be bound at, naming where it can', async () => {
    const res = await post({ principal: user.principal, role_name: 'CloudClusterAdmin', crn_pattern: cluster.envCrn });
    expectError(res, 400, 'bad_request', { pointer: '/crn_pattern' });
    expect(res.body.errors[0].detail).toBe('CloudClusterAdmin can be bound at cloud-cluster, not environment');
    const read = await post({ principal: user.principal, role_name: 'DeveloperRead', crn_pattern: cluster.clusterCrn });
    expect(read.body.errors[0].detail).toBe('DeveloperRead can be bound at topic, group, subject, ksql, not cloud-cluster');
  });

  it('refuses malformed patterns and patterns of another organization', async () => {
    const malformed = [
      'not a crn',
      `crn://example.com/organization=${kp.keyplane.services.orgId}`,
      `crn://confluent.cloud/organization=${randomUUID()}/environment=${cluster.env}`,
      `${cluster.envCrn}/topic=orders`,
      `${cluster.clusterCrn}/kafka=lkc-other1/topic=orders`,
      `${cluster.topic('a*b')}`,
      `${cluster.envCrn}*`,
      `${org}/widget=w-1`,
    ];
    for (const crn_pattern of malformed) {
      const res = await post({ principal: user.principal, role_name: 'DeveloperRead', crn_pattern });
      expectError(res, 400, 'bad_request', { pointer: '/crn_pattern' });
    }
    const other = await post({ principal: user.principal, role_name: 'EnvironmentAdmin', crn_pattern: `crn://confluent.cloud/organization=${randomUUID()}/environment=${cluster.env}` });
    expect(other.body.errors[0].detail).toContain('this organization');
  });

  it('refuses patterns naming objects that do not exist, or not where the pattern puts them', async () => {
    const elsewhere = await addEnvironment();
    const sr = await addResource('schema-registry', cluster.env);
    const ksql = await addResource('ksqldb', cluster.env);
    const cases: Array<[string, string, string]> = [
      ['EnvironmentAdmin', c.environment('env-nope00'), "environment 'env-nope00' does not exist"],
      ['CloudClusterAdmin', c.kafkaCluster(cluster.env, 'lkc-nope00'), "Kafka cluster 'lkc-nope00' does not exist"],
      ['CloudClusterAdmin', c.kafkaCluster(elsewhere, cluster.lkc), `is in environment '${cluster.env}', not '${elsewhere}'`],
      ['CloudClusterAdmin', c.kafkaCluster(cluster.env, sr), `Kafka cluster '${sr}' does not exist`],
      ['DeveloperRead', `${c.schemaRegistry(cluster.env, 'lsrc-nope0')}/subject=orders-value`, "Schema Registry 'lsrc-nope0' does not exist"],
      ['DeveloperRead', c.ksqldbCluster(elsewhere, ksql), `is in environment '${cluster.env}'`],
      ['ResourceOwner', c.serviceAccount('sa-nope00'), "service account 'sa-nope00' does not exist"],
      ['DeveloperRead', `${c.kafkaCluster('env-nope00', cluster.lkc)}/kafka=${cluster.lkc}/topic=x`, "environment 'env-nope00' does not exist"],
    ];
    for (const [role_name, crn_pattern, detail] of cases) {
      const res = await post({ principal: user.principal, role_name, crn_pattern });
      expectError(res, 400, 'bad_request', { pointer: '/crn_pattern' });
      expect(res.body.errors[0].detail).toContain(detail);
    }
    await bind(user.principal, 'DeveloperRead', `${c.schemaRegistry(cluster.env, sr)}/subject=orders-*`);
    await bind(user.principal, 'DeveloperWrite', c.ksqldbCluster(cluster.env, ksql));
  });

  it('refuses unknown principals and groups', async () => {
    const cases: Array<[unknown, string]> = [
      ['User:u-nope00', "user 'u-nope00' does not exist"],
      ['User:sa-nope00', "service account 'sa-nope00' does not exist"],
      ['Group:platform-team', 'Group principals are not supported'],
      [user.id, 'User:u-'],
      ['User:*', 'User:u-'],
      ['ServiceAccount:sa-abcdef', 'User:sa-'],
      [42, 'must be a string'],
      [undefined, 'is required'],
    ];
    for (const [principal, detail] of cases) {
      const res = await post({ principal, role_name: 'EnvironmentAdmin', crn_pattern: cluster.envCrn });
      expectError(res, 400, 'bad_request', { pointer: '/principal' });
      expect(res.body.errors[0].detail).toContain(detail);
    }
  });

  it('lets one of several identical concurrent creates win; the others get 409 with its Location', async () => {
    const target = await addPrincipal(kp, 'user');
    const body = { principal: target.principal, role_name: 'DeveloperManage', crn_pattern: cluster.topic('race') };
    const replies = await Promise.all(Array.from({ length: 5 }, () => post(body)));
    const won = replies.filter((r) => r.status === 201);
    expect(won).toHaveLength(1);
    for (const lost of replies.filter((r) => r.status !== 201)) {
      expectError(lost, 409, 'resource_already_exists');
      expect(lost.headers.get('location')).toBe(`${kp.publicUrl}${BASE}/${won[0]!.body.id}`);
    }
    expect(await listIds({ crn_pattern: cluster.topic('race') })).toEqual([won[0]!.body.id]);
  });

  it('answers a duplicate with 409 and the Location of the existing binding', async () => {
    const first = await bind(user.principal, 'EnvironmentAdmin', cluster.envCrn);
    const again = await post({ principal: user.principal, role_name: 'EnvironmentAdmin', crn_pattern: cluster.envCrn });
    expectError(again, 409, 'resource_already_exists');
    expect(again.headers.get('location')).toBe(`${kp.publicUrl}${BASE}/${first.id}`);
    // Another role at the same place is another binding.
    await bind(user.principal, 'Operator', cluster.envCrn);
  });

  it('gives a 4xx and writes nothing for hostile input', async () => {
    const before = await countBindings();
    const long = 'x'.repeat(5000);
    const bodies: unknown[] = [
      { principal: `${user.principal}\u0000`, role_name: 'DeveloperRead', crn_pattern: cluster.topic('a') },
      { principal: user.principal, role_name: 'DeveloperRead', crn_pattern: cluster.topic('a\u0000b') },
      { principal: user.principal, role_name: 'DeveloperRead\u0000', crn_pattern: cluster.topic('a') },
      { principal: user.principal, role_name: 'DeveloperRead', crn_pattern: cluster.topic(long) },
      { principal: `User:u-${long}`, role_name: 'DeveloperRead', crn_pattern: cluster.topic('a') },
      { principal: user.principal, role_name: long, crn_pattern: cluster.topic('a') },
      { principal: user.principal, role_name: 'DeveloperRead', crn_pattern: cluster.topic('ørders') },
      { principal: user.principal, role_name: 'DeveloperRead', crn_pattern: cluster.topic('ord\u202eers') },
      { principal: user.principal, role_name: 'DeveloperRead', crn_pattern: cluster.topic('a b') },
      { principal: user.principal, role_name: 'DeveloperRead', crn_pattern: cluster.topic('\ud800') },
      { principal: user.principal, role_name: 'DeveloperRéad', crn_pattern: cluster.topic('a') },
      { principal: 'User:ü-123', role_name: 'DeveloperRead', crn_pattern: cluster.topic('a') },
      { principal: user.principal, role_name: 'DeveloperRead', crn_pattern: cluster.topic('%ZZ') },
      { principal: [user.principal], role_name: 'DeveloperRead', crn_pattern: cluster.topic('a') },
    ];
    for (const body of bodies) {
      const res = await post(body);
      expect(res.status, res.text).toBeGreaterThanOrEqual(400);
      expect(res.status, res.text).toBeLessThan(500);
      expect(res.text.length, 'the error does not echo a huge input').toBeLessThan(2000);
    }
    const raw = await kp.call('POST', BASE, { raw: '{"principal": ' });
    expectError(raw, 400, 'invalid_json');
    expect(await countBindings()).toBe(before);
  });
});

describe('role bindings: who may grant what', () => {
  it('lets an EnvironmentAdmin bind inside its environment and nothing beyond', async () => {
    const a = await addCluster();
    const b = await addCluster();
    const envAdmin = await addPrincipal(kp, 'user', [{ role: 'EnvironmentAdmin', crn: a.envCrn }]);
    const target = await addPrincipal(kp, 'user');

    await bind(target.principal, 'DeveloperRead', a.topic('orders'), envAdmin.auth);
    await bind(target.principal, 'CloudClusterAdmin', a.clusterCrn, envAdmin.auth);
    await bind(target.principal, 'EnvironmentAdmin', a.envCrn, envAdmin.auth);

    const refused: Array<[string, string, string]> = [
      [target.principal, 'EnvironmentAdmin', b.envCrn],
      [target.principal, 'DeveloperRead', b.topic('orders')],
      [envAdmin.principal, 'OrganizationAdmin', org],
      [target.principal, 'AccountAdmin', org],
      [envAdmin.principal, 'MetricsViewer', org],
      [target.principal, 'ResourceOwner', c.serviceAccount(target.id)],
    ];
    for (const [principal, role_name, crn_pattern] of refused) {
      const res = await post({ principal, role_name, crn_pattern }, envAdmin.auth);
      expectError(res, 403, 'user_unauthorized');
      expect(res.body.errors[0].detail).toContain(envAdmin.principal);
    }
  });

  it('lets a CloudClusterAdmin bind on the topics of its cluster, not on its environment', async () => {
    const a = await addCluster();
    const otherCluster = await addResource('kafka', a.env);
    const admin = await addPrincipal(kp, 'user', [{ role: 'CloudClusterAdmin', crn: a.clusterCrn }]);
    const target = await addPrincipal(kp, 'service-account');

    await bind(target.principal, 'DeveloperWrite', a.topic('payments'), admin.auth);
    await bind(target.principal, 'ResourceOwner', a.topic('pay*'), admin.auth);
    await bind(target.principal, 'DeveloperWrite', `${a.clusterCrn}/kafka=${a.lkc}`, admin.auth);

    expectError(await post({ principal: target.principal, role_name: 'EnvironmentAdmin', crn_pattern: a.envCrn }, admin.auth), 403, 'user_unauthorized');
    expectError(
      await post({ principal: target.principal, role_name: 'CloudClusterAdmin', crn_pattern: c.kafkaCluster(a.env, otherCluster) }, admin.auth),
      403,
      'user_unauthorized',
    );
    expectError(
      await post(
        { principal: target.principal, role_name: 'DeveloperRead', crn_pattern: `${c.kafkaCluster(a.env, otherCluster)}/kafka=${otherCluster}/topic=payments` },
        admin.auth,
      ),
      403,
      'user_unauthorized',
    );
  });

  it('lets the owner of a topic prefix bind inside that prefix only', async () => {
    const a = await addCluster();
    const owner = await addPrincipal(kp, 'user', [{ role: 'ResourceOwner', crn: a.topic('ord*') }]);
    const target = await addPrincipal(kp, 'user');
    await bind(target.principal, 'DeveloperRead', a.topic('orders'), owner.auth);
    await bind(target.principal, 'DeveloperRead', a.topic('ord-eu*'), owner.auth);
    await bind(target.principal, 'DeveloperRead', a.topic('ord*'), owner.auth);
    expectError(await post({ principal: target.principal, role_name: 'DeveloperRead', crn_pattern: a.topic('or*') }, owner.auth), 403, 'user_unauthorized');
    expectError(await post({ principal: target.principal, role_name: 'DeveloperRead', crn_pattern: a.topic('*') }, owner.auth), 403, 'user_unauthorized');
    expectError(await post({ principal: target.principal, role_name: 'DeveloperRead', crn_pattern: a.topic('payments') }, owner.auth), 403, 'user_unauthorized');
    // Every topic of the cluster is for those who hold the cluster.
    await bind(target.principal, 'DeveloperRead', a.topic('*'));
  });

  it('does not let the owner of one topic reach every topic that starts with its name', async () => {
    const a = await addCluster();
    const owner = await addPrincipal(kp, 'user', [{ role: 'ResourceOwner', crn: a.topic('orders') }]);
    const target = await addPrincipal(kp, 'user');
    await bind(target.principal, 'DeveloperRead', a.topic('orders'), owner.auth);
    for (const principal of [owner.principal, target.principal]) {
      expectError(await post({ principal, role_name: 'ResourceOwner', crn_pattern: a.topic('orders*') }, owner.auth), 403, 'user_unauthorized');
    }
    // Nor see or remove a binding on such a prefix that someone else holds.
    const prefixed = await bind(target.principal, 'DeveloperRead', a.topic('orders*'));
    expectError(await kp.call('GET', `${BASE}/${prefixed.id}`, { auth: owner.auth }), 404, 'role_binding_not_found');
    expectError(await kp.call('DELETE', `${BASE}/${prefixed.id}`, { auth: owner.auth }), 404, 'role_binding_not_found');
  });

  it('keeps OrganizationAdmin and AccountAdmin for OrganizationAdmins to grant', async () => {
    const accountAdmin = await addPrincipal(kp, 'user', [{ role: 'AccountAdmin', crn: org }]);
    const sa = await addPrincipal(kp, 'service-account');
    const target = await addPrincipal(kp, 'user');
    // What AccountAdmin manages: roles on principals. Nothing on the whole organization, where
    // ResourceKeyAdmin or MetricsViewer would reach every cluster.
    await bind(target.principal, 'ResourceOwner', c.serviceAccount(sa.id), accountAdmin.auth);
    for (const role_name of ['MetricsViewer', 'ResourceKeyAdmin']) {
      for (const principal of [target.principal, accountAdmin.principal]) {
        const res = await post({ principal, role_name, crn_pattern: org }, accountAdmin.auth);
        expectError(res, 403, 'user_unauthorized');
        expect(res.body.errors[0].detail).toContain(`${role_name} on the whole organization`);
      }
    }
    for (const role_name of ['AccountAdmin', 'OrganizationAdmin']) {
      for (const principal of [target.principal, accountAdmin.principal]) {
        const res = await post({ principal, role_name, crn_pattern: org }, accountAdmin.auth);
        expectError(res, 403, 'user_unauthorized');
        expect(res.body.errors[0].detail).toContain('OrganizationAdmin');
      }
    }
    const env = await addEnvironment();
    expectError(await post({ principal: target.principal, role_name: 'EnvironmentAdmin', crn_pattern: c.environment(env) }, accountAdmin.auth), 403, 'user_unauthorized');

    // An OrganizationAdmin may; and only an OrganizationAdmin may take it away again.
    const granted = await bind(target.principal, 'AccountAdmin', org);
    expectError(await kp.call('DELETE', `${BASE}/${granted.id}`, { auth: accountAdmin.auth }), 403, 'user_unauthorized');
    expect((await kp.call('DELETE', `${BASE}/${granted.id}`)).status).toBe(200);
  });

  it('refuses a principal with no bindings whatever it tries to bind', async () => {
    const a = await addCluster();
    const nobody = await addPrincipal(kp, 'user');
    const before = await countBindings();
    const attempts: Array<[string, string]> = [
      ['DeveloperRead', a.topic('orders')],
      ['EnvironmentAdmin', a.envCrn],
      ['OrganizationAdmin', org],
      ['ResourceOwner', c.serviceAccount(nobody.id)],
      ['Assigner', c.serviceAccount(nobody.id)],
    ];
    for (const [role_name, crn_pattern] of attempts) {
      expectError(await post({ principal: nobody.principal, role_name, crn_pattern }, nobody.auth), 403, 'user_unauthorized');
    }
    // A missing object is not revealed to someone who may not bind there.
    expectError(await post({ principal: nobody.principal, role_name: 'EnvironmentAdmin', crn_pattern: c.environment('env-nope00') }, nobody.auth), 403, 'user_unauthorized');
    expect(await countBindings()).toBe(before);
  });
});

describe('role bindings: who sees what', () => {
  it('shows a principal its own bindings and hides the rest', async () => {
    const a = await addCluster();
    const b = await addCluster();
    const reader = await addPrincipal(kp, 'user');
    const other = await addPrincipal(kp, 'user');
    const own = await bind(reader.principal, 'DeveloperRead', a.topic('orders'));
    const sameEnv = await bind(other.principal, 'DeveloperRead', a.topic('orders'));
    const otherEnv = await bind(other.principal, 'DeveloperRead', b.topic('orders'));

    expect(await listIds({ crn_pattern: `${org}/*` }, reader.auth)).toEqual(ids(own));
    expect(await listIds({ crn_pattern: a.topic('orders') }, reader.auth)).toEqual(ids(own));
    expect((await kp.call('GET', `${BASE}/${own.id}`, { auth: reader.auth })).body).toEqual(own);
    for (const hidden of [sameEnv, otherEnv]) {
      expectError(await kp.call('GET', `${BASE}/${hidden.id}`, { auth: reader.auth }), 404, 'role_binding_not_found');
      expectError(await kp.call('DELETE', `${BASE}/${hidden.id}`, { auth: reader.auth }), 404, 'role_binding_not_found');
    }
    // Visible but not its to delete.
    expectError(await kp.call('DELETE', `${BASE}/${own.id}`, { auth: reader.auth }), 403, 'user_unauthorized');
    expect((await kp.call('GET', `${BASE}/${own.id}`)).status).toBe(200);
  });

  it('shows an EnvironmentAdmin the bindings in its environment, and lets it delete them', async () => {
    const a = await addCluster();
    const b = await addCluster();
    const envAdmin = await addPrincipal(kp, 'user', [{ role: 'EnvironmentAdmin', crn: a.envCrn }]);
    const other = await addPrincipal(kp, 'user');
    const inside = await bind(other.principal, 'CloudClusterAdmin', a.clusterCrn);
    const outside = await bind(other.principal, 'CloudClusterAdmin', b.clusterCrn);
    const own = (await list({ crn_pattern: a.envCrn, principal: envAdmin.principal })).body.data[0] as Binding;

    expect(await listIds({ crn_pattern: `${org}/*` }, envAdmin.auth)).toEqual(ids(own, inside));
    expect(await listIds({ crn_pattern: `${b.envCrn}/*` }, envAdmin.auth)).toEqual([]);
    expectError(await kp.call('GET', `${BASE}/${outside.id}`, { auth: envAdmin.auth }), 404, 'role_binding_not_found');
    expectError(await kp.call('DELETE', `${BASE}/${outside.id}`, { auth: envAdmin.auth }), 404, 'role_binding_not_found');
    // The organization admin's binding is above the environment: out of sight.
    const orgAdmin = (await list({ crn_pattern: org, principal: admin })).body.data[0] as Binding;
    expectError(await kp.call('GET', `${BASE}/${orgAdmin.id}`, { auth: envAdmin.auth }), 404, 'role_binding_not_found');

    const deleted = await kp.call('DELETE', `${BASE}/${inside.id}`, { auth: envAdmin.auth });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual(inside);
    expectError(await kp.call('GET', `${BASE}/${inside.id}`), 404, 'role_binding_not_found');
    expect((await kp.call('GET', `${BASE}/${outside.id}`)).status).toBe(200);
  });

  it('keeps the last OrganizationAdmin binding', async () => {
    const orgAdmins = async () => (await list({ crn_pattern: org, role_name: 'OrganizationAdmin' })).body.data as Binding[];
    const [mine] = (await orgAdmins()).filter((b) => b.principal === admin);
    expect(await orgAdmins()).toHaveLength(1);
    const last = await kp.call('DELETE', `${BASE}/${mine!.id}`);
    expectError(last, 400, 'bad_request');
    expect(last.body.errors[0].detail).toContain('last OrganizationAdmin');

    const second = await addPrincipal(kp, 'user');
    const theirs = await bind(second.principal, 'OrganizationAdmin', org);
    expect((await kp.call('DELETE', `${BASE}/${theirs.id}`, { auth: second.auth })).status).toBe(200);
    expectError(await kp.call('DELETE', `${BASE}/${mine!.id}`), 400, 'bad_request');
    expect(await orgAdmins()).toHaveLength(1);
  });
});

describe('role bindings: cascades', () => {
  it('removes the bindings on a service account, and its own, when the account is deleted', async () => {
    const a = await addCluster();
    const sa = await addPrincipal(kp, 'service-account');
    const user = await addPrincipal(kp, 'user');
    const onIt = await bind(user.principal, 'ResourceOwner', c.serviceAccount(sa.id));
    const itsOwn = await bind(sa.principal, 'DeveloperRead', a.topic('orders'));
    const unrelated = await bind(user.principal, 'DeveloperRead', a.topic('orders'));

    expect((await kp.call('DELETE', `/iam/v2/service-accounts/${sa.id}`)).status).toBe(204);
    for (const gone of [onIt, itsOwn]) expectError(await kp.call('GET', `${BASE}/${gone.id}`), 404, 'role_binding_not_found');
    expect((await kp.call('GET', `${BASE}/${unrelated.id}`)).status).toBe(200);
    expect(await listIds({ crn_pattern: c.serviceAccount(sa.id) })).toEqual([]);
    // A binding cannot name the account any more.
    expectError(await post({ principal: user.principal, role_name: 'ResourceOwner', crn_pattern: c.serviceAccount(sa.id) }), 400, 'bad_request', {
      pointer: '/crn_pattern',
    });
  });
});
