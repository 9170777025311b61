import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { addPrincipal, crns, type TestPrincipal } from '../../../test/support/principals.js';

let kp: TestKeyplane;
let env: string;
let lkcA: string;
let lkcB: string;
let sa: TestPrincipal;
let user: TestPrincipal;

const acls = (cluster: string) => `/kafka/v3/clusters/${cluster}/acls`;

async function createCluster(name: string, environment: string): Promise<string> {
  const res = await kp.call('POST', '/cmk/v2/clusters', {
    body: { spec: { display_name: name, cloud: 'aws', region: 'us-east-1', config: { kind: 'Basic' }, environment: { id: environment } } },
  });
  expect(res.status, res.text).toBe(202);
  return res.body.id;
}

function acl(overrides: Record<string, unknown> = {}) {
  return {
    resource_type: 'TOPIC',
    resource_name: 'orders',
    pattern_type: 'LITERAL',
    principal: sa.principal,
    host: '*',
    operation: 'READ',
    permission: 'ALLOW',
    ...overrides,
  };
}

async function create(cluster: string, body: Record<string, unknown>, auth?: { key: string; secret: string }) {
  const res = await kp.call('POST', acls(cluster), { body, auth });
  expect(res.status, res.text).toBe(201);
  return res;
}

const store = () => kp.keyplane.services.store;
const rowCount = () => store().count('kafkaAcls', {});

beforeAll(async () => {
  kp = await startTestKeyplane();
  env = (await store().find('environments', { displayName: 'default' }))!.id;
  lkcA = await createCluster('cluster-a', env);
  lkcB = await createCluster('cluster-b', env);
  sa = await addPrincipal(kp, 'service-account');
  user = await addPrincipal(kp, 'user');
});
afterAll(() => kp.close());
beforeEach(async () => {
  await store().deleteWhere('kafkaAcls', {});
});

describe('creating Kafka ACLs', () => {
  it('answers 201 with an empty body and a Location, and lists the ACL in Kafka REST v3 shape', async () => {
    const res = await create(lkcA, acl({ kind: 'KafkaAcl', cluster_id: 'ignored' }));
    expect(res.text).toBe('');
    const self = `${kp.publicUrl}${acls(lkcA)}?resource_type=TOPIC&resource_name=orders&pattern_type=LITERAL&principal=User%3A${sa.id}&host=*&operation=READ&permission=ALLOW`;
    expect(res.headers.get('location')).toBe(self);

    const rows = await store().list('kafkaAcls', {}, { limit: 10 });
    expect(rows.items).toHaveLength(1);
    expect(rows.items[0]!.id).toMatch(/^acl-[a-z0-9]{10}$/);

    const list = await kp.call('GET', acls(lkcA));
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      kind: 'KafkaAclDataList',
      metadata: { self: `${kp.publicUrl}${acls(lkcA)}`, next: null },
      data: [
        {
          kind: 'KafkaAcl',
          metadata: { self },
          cluster_id: lkcA,
          resource_type: 'TOPIC',
          resource_name: 'orders',
          pattern_type: 'LITERAL',
          principal: sa.principal,
          host: '*',
          operation: 'READ',
          permission: 'ALLOW',
        },
      ],
    });
    // The Location, followed, finds exactly this ACL.
    const followed = await kp.call('GET', self.slice(kp.publicUrl.length));
    expect(followed.body.data).toEqual(list.body.data);
  });

  it('is idempotent: the same ACL again answers 201 and adds no row', async () => {
    await create(lkcA, acl());
    await create(lkcA, acl());
    // Case of enums and ids does not make a different ACL.
    await create(lkcA, acl({ resource_type: 'topic', pattern_type: 'literal', operation: 'read', permission: 'allow', principal: `User:${sa.id.toUpperCase()}` }));
    expect(await rowCount()).toBe(1);
    // The same rule on another cluster is another ACL.
    await create(lkcB, acl());
    expect(await rowCount()).toBe(2);
  });

  it('accepts every resource type, both pattern types, User:* and IP hosts', async () => {
    await create(lkcA, acl({ resource_type: 'GROUP', resource_name: 'billing-', pattern_type: 'PREFIXED', operation: 'ALL' }));
    await create(lkcA, acl({ resource_type: 'TRANSACTIONAL_ID', resource_name: '*', operation: 'WRITE', permission: 'DENY' }));
    await create(lkcA, acl({ resource_type: 'CLUSTER', resource_name: 'kafka-cluster', operation: 'IDEMPOTENT_WRITE' }));
    await create(lkcA, acl({ principal: 'User:*', host: '10.0.0.1' }));
    await create(lkcA, acl({ principal: user.principal, host: '2001:DB8::1', operation: 'DESCRIBE_CONFIGS' }));
    const list = await kp.call('GET', acls(lkcA));
    expect(list.body.data).toHaveLength(5);
    expect(list.body.data.map((a: { host: string }) => a.host)).toContain('2001:db8::1');
  });

  const invalid: Array<[string, Record<string, unknown>, number, string]> = [
    ['an unknown resource type', { resource_type: 'SUBJECT' }, 400, '/resource_type'],
    ['resource type ANY', { resource_type: 'ANY' }, 400, '/resource_type'],
    ['an unknown pattern type', { pattern_type: 'REGEX' }, 400, '/pattern_type'],
    ['pattern type MATCH', { pattern_type: 'MATCH' }, 400, '/pattern_type'],
    ['an unknown operation', { operation: 'EAT' }, 400, '/operation'],
    ['operation ANY', { operation: 'ANY' }, 400, '/operation'],
    ['an unknown permission', { permission: 'MAYBE' }, 400, '/permission'],
    ['an empty resource name', { resource_name: '' }, 400, '/resource_name'],
    ['a CLUSTER ACL not named kafka-cluster', { resource_type: 'CLUSTER', resource_name: 'orders' }, 400, '/resource_name'],
    ['a principal without User:', { principal: 'sa-abc123' }, 400, '/principal'],
    ['a principal of a group', { principal: 'Group:admins' }, 400, '/principal'],
    ['a principal that is not a user or service account', { principal: 'User:alice' }, 400, '/principal'],
    ['a service account that does not exist', { principal: 'User:sa-nobody' }, 422, '/principal'],
    ['a user that does not exist', { principal: 'User:u-nobody' }, 422, '/principal'],
    ['a host name', { host: 'kafka.example.com' }, 400, '/host'],
    ['a CIDR range', { host: '10.0.0.0/8' }, 400, '/host'],
    ['a huge resource name', { resource_name: 'x'.repeat(30_000) }, 400, '/resource_name'],
    ['a lone surrogate in the name', { resource_name: 'ord\ud800' }, 400, '/resource_name'],
    ['a huge principal', { principal: `User:${'s'.repeat(10_000)}` }, 400, '/principal'],
    ['a huge host', { host: '1'.repeat(10_000) }, 400, '/host'],
    ['a NUL in the name', { resource_name: 'ord\u0000ers' }, 400, '/resource_name'],
    ['a control character in the name', { resource_name: 'ord\u001bers' }, 400, '/resource_name'],
    ['a bidi override in the name', { resource_name: 'ord\u202eers' }, 400, '/resource_name'],
    ['a missing operation', { operation: undefined }, 400, '/operation'],
    ['a missing principal', { principal: undefined }, 400, '/principal'],
    ['a number for a name', { resource_name: 7 }, 400, '/resource_name'],
  ];

  it.each(invalid)('refuses %s naming the field, and writes nothing', async (_name, overrides, status, pointer) => {
    const res = await kp.call('POST', acls(lkcA), { body: acl(overrides) });
    expect(res.status, res.text).toBe(status);
    expect(res.body.errors[0].source).toEqual({ pointer });
    expect(await rowCount()).toBe(0);
  });

  it('refuses a body that is not a JSON object', async () => {
    for (const raw of ['', 'null', '[]', '{"resource_type":']) {
      const res = await kp.call('POST', acls(lkcA), { raw });
      expect(res.status).toBe(400);
    }
    expect(await rowCount()).toBe(0);
  });
});

describe('listing Kafka ACLs with filters', () => {
  beforeEach(async () => {
    await create(lkcA, acl({ resource_name: 'orders', operation: 'READ' }));
    await create(lkcA, acl({ resource_name: 'orders', operation: 'ALL', permission: 'DENY', host: '10.0.0.1' }));
    await create(lkcA, acl({ resource_name: 'ord', pattern_type: 'PREFIXED', operation: 'WRITE' }));
    await create(lkcA, acl({ resource_name: 'orders-eu', pattern_type: 'PREFIXED', operation: 'WRITE' }));
    await create(lkcA, acl({ resource_name: '*', operation: 'DESCRIBE', principal: 'User:*' }));
    await create(lkcA, acl({ resource_type: 'GROUP', resource_name: 'orders', operation: 'READ', principal: user.principal }));
    await create(lkcB, acl({ resource_name: 'orders' }));
  });

  const described = (data: Array<Record<string, string>>) =>
    data.map((a) => `${a.resource_type} ${a.pattern_type} ${a.resource_name} ${a.operation} ${a.permission}`).sort();

  const cases: Array<[string, string, string[]]> = [
    [
      'no filter: every ACL of the cluster',
      '',
      [
        'GROUP LITERAL orders READ ALLOW',
        'TOPIC LITERAL * DESCRIBE ALLOW',
        'TOPIC LITERAL orders ALL DENY',
        'TOPIC LITERAL orders READ ALLOW',
        'TOPIC PREFIXED ord WRITE ALLOW',
        'TOPIC PREFIXED orders-eu WRITE ALLOW',
      ],
    ],
    ['resource_type=GROUP', 'resource_type=GROUP', ['GROUP LITERAL orders READ ALLOW']],
    ['resource_type=ANY, explicitly', 'resource_type=ANY&resource_name=orders&pattern_type=LITERAL&operation=READ', ['GROUP LITERAL orders READ ALLOW', 'TOPIC LITERAL orders READ ALLOW']],
    [
      'resource_name alone (pattern ANY): the exact name of any pattern type',
      'resource_type=TOPIC&resource_name=orders',
      ['TOPIC LITERAL orders ALL DENY', 'TOPIC LITERAL orders READ ALLOW'],
    ],
    ['pattern_type=PREFIXED', 'pattern_type=PREFIXED', ['TOPIC PREFIXED ord WRITE ALLOW', 'TOPIC PREFIXED orders-eu WRITE ALLOW']],
    ['pattern_type=LITERAL with a name', 'pattern_type=LITERAL&resource_name=ord', []],
    ['pattern_type=PREFIXED with a name', 'pattern_type=PREFIXED&resource_name=ord', ['TOPIC PREFIXED ord WRITE ALLOW']],
    [
      'pattern_type=MATCH: what applies to topic orders',
      'resource_type=TOPIC&pattern_type=MATCH&resource_name=orders',
      ['TOPIC LITERAL * DESCRIBE ALLOW', 'TOPIC LITERAL orders ALL DENY', 'TOPIC LITERAL orders READ ALLOW', 'TOPIC PREFIXED ord WRITE ALLOW'],
    ],
    [
      'pattern_type=MATCH: what applies to topic orders-eu-1',
      'resource_type=TOPIC&pattern_type=MATCH&resource_name=orders-eu-1',
      ['TOPIC LITERAL * DESCRIBE ALLOW', 'TOPIC PREFIXED ord WRITE ALLOW', 'TOPIC PREFIXED orders-eu WRITE ALLOW'],
    ],
    ['pattern_type=MATCH without a name: everything', 'pattern_type=match&resource_type=topic', [
      'TOPIC LITERAL * DESCRIBE ALLOW',
      'TOPIC LITERAL orders ALL DENY',
      'TOPIC LITERAL orders READ ALLOW',
      'TOPIC PREFIXED ord WRITE ALLOW',
      'TOPIC PREFIXED orders-eu WRITE ALLOW',
    ]],
    ['operation=READ does not find ALL', 'resource_type=TOPIC&operation=READ', ['TOPIC LITERAL orders READ ALLOW']],
    ['operation=ALL finds only ALL', 'operation=ALL', ['TOPIC LITERAL orders ALL DENY']],
    ['permission=DENY', 'permission=DENY', ['TOPIC LITERAL orders ALL DENY']],
    ['host, exactly', 'host=10.0.0.1', ['TOPIC LITERAL orders ALL DENY']],
    ['principal User:*: ACLs written for everyone', 'principal=User%3A*', ['TOPIC LITERAL * DESCRIBE ALLOW']],
    ['a name that matches nothing', 'resource_name=payments', []],
  ];

  it.each(cases)('%s', async (_name, query, expected) => {
    const res = await kp.call('GET', `${acls(lkcA)}${query ? `?${query}` : ''}`);
    expect(res.status, res.text).toBe(200);
    expect(described(res.body.data)).toEqual(expected);
    expect(res.body.metadata).toEqual({ self: `${kp.publicUrl}${acls(lkcA)}${query ? `?${query}` : ''}`, next: null });
  });

  it('filters on a principal, whatever the case of its id', async () => {
    const res = await kp.call('GET', `${acls(lkcA)}?principal=User:${user.id.toUpperCase()}`);
    expect(described(res.body.data)).toEqual(['GROUP LITERAL orders READ ALLOW']);
  });

  it.each([
    ['an unknown resource_type', 'resource_type', 'SUBJECT'],
    ['an unknown pattern_type', 'pattern_type', 'REGEX'],
    ['an unknown operation', 'operation', 'EAT'],
    ['an unknown permission', 'permission', 'MAYBE'],
    ['a huge resource_name', 'resource_name', 'x'.repeat(5000)],
    ['a huge principal', 'principal', 'x'.repeat(5000)],
    ['a huge host', 'host', 'x'.repeat(5000)],
  ])('refuses %s with a 400 naming the parameter', async (_name, parameter, value) => {
    const res = await kp.call('GET', `${acls(lkcA)}?${parameter}=${value}`);
    expect(res.status, res.text).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', source: { parameter } });
  });
});

describe('deleting Kafka ACLs', () => {
  const all = 'resource_type=ANY&pattern_type=ANY&operation=ANY&permission=ANY';

  beforeEach(async () => {
    await create(lkcA, acl({ resource_name: 'orders', operation: 'READ' }));
    await create(lkcA, acl({ resource_name: 'orders', operation: 'WRITE' }));
    await create(lkcA, acl({ resource_name: 'ord', pattern_type: 'PREFIXED', operation: 'READ' }));
    await create(lkcA, acl({ resource_name: 'payments', operation: 'READ', principal: user.principal }));
    await create(lkcB, acl({ resource_name: 'orders', operation: 'READ' }));
  });

  it.each(['resource_type', 'pattern_type', 'operation', 'permission'])('requires %s, so a bare DELETE removes nothing', async (parameter) => {
    const query = all.split('&').filter((p) => !p.startsWith(`${parameter}=`)).join('&');
    const res = await kp.call('DELETE', `${acls(lkcA)}?${query}`);
    expect(res.status, res.text).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', source: { parameter } });
    expect(await rowCount()).toBe(5);
  });

  it('refuses a bare DELETE', async () => {
    const res = await kp.call('DELETE', acls(lkcA));
    expect(res.status).toBe(400);
    expect(await rowCount()).toBe(5);
  });

  it('deletes what the filter matches and answers with the deleted ACLs', async () => {
    const query = 'resource_type=TOPIC&pattern_type=LITERAL&resource_name=orders&operation=ANY&permission=ALLOW';
    const res = await kp.call('DELETE', `${acls(lkcA)}?${query}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.kind).toBe('KafkaAclDataList');
    expect(res.body.data.map((a: { operation: string }) => a.operation).sort()).toEqual(['READ', 'WRITE']);
    expect(res.body.data[0]).toMatchObject({ kind: 'KafkaAcl', cluster_id: lkcA, resource_name: 'orders' });
    expect(await rowCount()).toBe(3);
    // Nothing left to match: an empty list, not an error.
    const again = await kp.call('DELETE', `${acls(lkcA)}?${query}`);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual([]);
  });

  it('deletes with MATCH what applies to a resource', async () => {
    const res = await kp.call('DELETE', `${acls(lkcA)}?resource_type=TOPIC&pattern_type=MATCH&resource_name=orders&operation=READ&permission=ANY`);
    expect(res.body.data.map((a: { resource_name: string }) => a.resource_name).sort()).toEqual(['ord', 'orders']);
  });

  it("deletes every ACL of one cluster with ANY, and no other cluster's", async () => {
    const res = await kp.call('DELETE', `${acls(lkcA)}?${all}&principal=${sa.principal}`);
    expect(res.body.data).toHaveLength(3);
    const rest = await store().list('kafkaAcls', {}, { limit: 10 });
    expect(rest.items.map((r) => [r.clusterId, r.principal]).sort()).toEqual([
      [lkcA, user.principal],
      [lkcB, sa.principal],
    ].sort());
  });
});

describe('which cluster, and who may', () => {
  it.each(['GET', 'POST', 'DELETE'])('%s on an unknown cluster answers 404 kafka_cluster_not_found', async (method) => {
    for (const id of ['lkc-nothere', 'env-abc123', 'x'.repeat(3000)]) {
      const query = method === 'DELETE' ? '?resource_type=ANY&pattern_type=ANY&operation=ANY&permission=ANY' : '';
      const res = await kp.call(method, `${acls(id)}${query}`, { body: method === 'POST' ? acl() : undefined });
      expect(res.status, res.text).toBe(404);
      expect(res.body.errors[0].code).toBe('kafka_cluster_not_found');
      expect(res.text.length).toBeLessThan(1000);
    }
    expect(await rowCount()).toBe(0);
  });

  it('is not fooled by the id of a Schema Registry or another resource type', async () => {
    const sr = await kp.call('POST', '/srcm/v3/clusters', {
      body: { spec: { display_name: 'sr', cloud: 'AWS', region: 'us-east-1', package: 'ESSENTIALS', environment: { id: env } } },
    });
    expect(sr.status, sr.text).toBe(201);
    expect((await kp.call('GET', acls(sr.body.id))).status).toBe(404);
  });

  it('takes cluster ids in any case', async () => {
    await create(lkcA.toUpperCase(), acl());
    const res = await kp.call('GET', acls(lkcA.toUpperCase()));
    expect(res.body.data[0].cluster_id).toBe(lkcA);
  });

  it('lets CloudClusterAdmin of the cluster and EnvironmentAdmin of its environment manage its ACLs', async () => {
    const c = crns(kp);
    const clusterAdmin = await addPrincipal(kp, 'user', [{ role: 'CloudClusterAdmin', crn: c.kafkaCluster(env, lkcA) }]);
    const envAdmin = await addPrincipal(kp, 'service-account', [{ role: 'EnvironmentAdmin', crn: c.environment(env) }]);
    for (const who of [clusterAdmin, envAdmin]) {
      await create(lkcA, acl({ principal: who.principal }), who.auth);
      expect((await kp.call('GET', acls(lkcA), { auth: who.auth })).status).toBe(200);
      const del = await kp.call('DELETE', `${acls(lkcA)}?resource_type=ANY&pattern_type=ANY&operation=ANY&permission=ANY&principal=${who.principal}`, {
        auth: who.auth,
      });
      expect(del.status).toBe(200);
      expect(del.body.data).toHaveLength(1);
    }
    // CloudClusterAdmin of A cannot see B: B answers as if it did not exist.
    for (const method of ['GET', 'POST', 'DELETE']) {
      const query = method === 'DELETE' ? '?resource_type=ANY&pattern_type=ANY&operation=ANY&permission=ANY' : '';
      const res = await kp.call(method, `${acls(lkcB)}${query}`, { auth: clusterAdmin.auth, body: method === 'POST' ? acl() : undefined });
      expect(res.status, `${method} ${res.text}`).toBe(404);
      expect(res.body.errors[0].code).toBe('kafka_cluster_not_found');
    }
  });

  it('answers 403 to those who can see the cluster but not manage its ACLs, and 404 to those who cannot see it', async () => {
    const c = crns(kp);
    await create(lkcA, acl());
    const operator = await addPrincipal(kp, 'user', [{ role: 'Operator', crn: c.kafkaCluster(env, lkcA) }]);
    const reader = await addPrincipal(kp, 'service-account', [{ role: 'DeveloperRead', crn: `${c.kafkaCluster(env, lkcA)}/kafka=${lkcA}/topic=orders` }]);
    const nobody = await addPrincipal(kp, 'user');
    const deleteAll = `${acls(lkcA)}?resource_type=ANY&pattern_type=ANY&operation=ANY&permission=ANY`;
    for (const who of [operator, reader]) {
      const list = await kp.call('GET', acls(lkcA), { auth: who.auth });
      expect(list.status).toBe(403);
      expect(list.body.errors[0]).toMatchObject({
        code: 'user_unauthorized',
        detail: `The principal '${who.principal}' is not allowed to perform Acl:Describe on ${c.kafkaCluster(env, lkcA)}`,
      });
      expect((await kp.call('POST', acls(lkcA), { auth: who.auth, body: acl({ principal: who.principal }) })).status).toBe(403);
      expect((await kp.call('DELETE', deleteAll, { auth: who.auth })).status).toBe(403);
    }
    for (const method of ['GET', 'POST', 'DELETE']) {
      const path = method === 'DELETE' ? deleteAll : acls(lkcA);
      const res = await kp.call(method, path, { auth: nobody.auth, body: method === 'POST' ? acl() : undefined });
      expect(res.status).toBe(404);
      expect(res.body.errors[0].code).toBe('kafka_cluster_not_found');
    }
    expect(await rowCount()).toBe(1);
  });

  it('refuses a request without credentials', async () => {
    expect((await kp.call('GET', acls(lkcA), { auth: false })).status).toBe(401);
  });
});

describe('ACLs go with what they name', () => {
  it('deleting a service account through the API removes the ACLs naming it, on every cluster', async () => {
    const doomed = await addPrincipal(kp, 'service-account');
    await create(lkcA, acl({ principal: doomed.principal }));
    await create(lkcB, acl({ principal: doomed.principal, operation: 'WRITE' }));
    await create(lkcA, acl());
    expect((await kp.call('DELETE', `/iam/v2/service-accounts/${doomed.id}`)).status).toBe(204);
    expect(await store().count('kafkaAcls', { principal: doomed.principal })).toBe(0);
    expect(await store().count('kafkaAcls', { principal: sa.principal })).toBe(1);
  });

  it('deleting a Kafka cluster through the API leaves no ACL of it', async () => {
    const doomed = await createCluster('doomed', env);
    await create(doomed, acl());
    await create(doomed, acl({ principal: 'User:*', operation: 'DESCRIBE' }));
    await create(lkcA, acl());
    const res = await kp.call('DELETE', `/cmk/v2/clusters/${doomed}?environment=${env}`);
    expect(res.status, res.text).toBe(204);
    expect(await store().count('kafkaAcls', { clusterId: doomed })).toBe(0);
    expect(await store().count('kafkaAcls', { clusterId: lkcA })).toBe(1);
  });
});
