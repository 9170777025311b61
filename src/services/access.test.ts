import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../test/support/harness.js';
import { addPrincipal, crns, type TestPrincipal } from '../../test/support/principals.js';
import type { RoleName } from '../domain/roles.js';
import { authorize, type Caller, callerFor } from './access.js';
import type { ServiceContext } from './context.js';
import { createKafkaAcl, type KafkaAclInput } from './kafka-acls.js';

// `authorize` over a real store: role bindings and Kafka ACLs as the API writes them.
let kp: TestKeyplane;
let ctx: ServiceContext;
let admin: Caller;
let env: string;
let lkcA: string;
let lkcB: string;
/** A principal other than the one asking, to whom some ACLs are written. */
let other: TestPrincipal;

async function createCluster(name: string): Promise<string> {
  const res = await kp.call('POST', '/cmk/v2/clusters', {
    body: { spec: { display_name: name, cloud: 'aws', region: 'us-east-1', config: { kind: 'Basic' }, environment: { id: env } } },
  });
  expect(res.status, res.text).toBe(202);
  return res.body.id;
}

beforeAll(async () => {
  kp = await startTestKeyplane();
  ctx = kp.keyplane.services;
  admin = await callerFor(ctx, { via: 'key', principalId: kp.admin.userId, principalKind: 'User', keyId: kp.admin.key });
  env = (await ctx.store.find('environments', { displayName: 'default' }))!.id;
  lkcA = await createCluster('cluster-a');
  lkcB = await createCluster('cluster-b');
  other = await addPrincipal(kp, 'service-account');
});
afterAll(() => kp.close());
beforeEach(async () => {
  await ctx.store.deleteWhere('kafkaAcls', {});
});

type ClusterName = 'A' | 'B';
const clusterId = (name: ClusterName) => (name === 'A' ? lkcA : lkcB);
const clusterCrn = (name: ClusterName) => crns(kp).kafkaCluster(env, clusterId(name));
const inKafka = (name: ClusterName, type: string, value: string) => `${clusterCrn(name)}/kafka=${clusterId(name)}/${type}=${value}`;
const topic = (name: string, cluster: ClusterName = 'A') => inKafka(cluster, 'topic', name);
const group = (name: string) => inKafka('A', 'group', name);
const transactionalId = (name: string) => inKafka('A', 'transactional-id', name);

interface AclSpec extends Partial<Omit<KafkaAclInput, 'principal'>> {
  cluster?: ClusterName;
  /** `me` (the principal asking, the default), `other`, or a principal as written. */
  principal?: 'me' | 'other' | 'User:*';
}

interface BindingSpec {
  role: RoleName;
  crn: () => string;
}

interface Case {
  name: string;
  bindings?: BindingSpec[];
  acls?: AclSpec[];
  operation: string;
  resource: () => string;
  host?: string;
  allowed: boolean;
  reason: string;
}

const clusterAdminOfA: BindingSpec = { role: 'CloudClusterAdmin', crn: () => clusterCrn('A') };

const cases: Case[] = [
  // DENY wins over every grant.
  {
    name: 'CloudClusterAdmin with a DENY READ ACL on the topic is refused',
    bindings: [clusterAdminOfA],
    acls: [{ operation: 'READ', permission: 'DENY' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'acl_deny',
  },
  {
    name: 'CloudClusterAdmin with a DENY READ ACL may still write the topic',
    bindings: [clusterAdminOfA],
    acls: [{ operation: 'READ', permission: 'DENY' }],
    operation: 'Topic:Write',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'role_binding',
  },
  {
    name: 'EnvironmentAdmin with a DENY ALL ACL cannot even describe the topic',
    bindings: [{ role: 'EnvironmentAdmin', crn: () => crns(kp).environment(env) }],
    acls: [{ operation: 'ALL', permission: 'DENY' }],
    operation: 'Topic:Describe',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'acl_deny',
  },
  {
    name: 'DeveloperRead on the topic with a PREFIXED DENY READ over it is refused',
    bindings: [{ role: 'DeveloperRead', crn: () => topic('orders') }],
    acls: [{ resourceName: 'ord', patternType: 'PREFIXED', operation: 'READ', permission: 'DENY' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'acl_deny',
  },
  {
    name: 'a LITERAL * ALLOW does not undo a PREFIXED DENY',
    acls: [
      { resourceName: '*', operation: 'READ' },
      { resourceName: 'secret-', patternType: 'PREFIXED', operation: 'READ', permission: 'DENY' },
    ],
    operation: 'Topic:Read',
    resource: () => topic('secret-salaries'),
    allowed: false,
    reason: 'acl_deny',
  },
  {
    name: 'ALLOW ALL with DENY WRITE: write is refused',
    acls: [{ operation: 'ALL' }, { operation: 'WRITE', permission: 'DENY' }],
    operation: 'Topic:Write',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'acl_deny',
  },
  {
    name: 'ALLOW ALL with DENY WRITE: read is allowed',
    acls: [{ operation: 'ALL' }, { operation: 'WRITE', permission: 'DENY' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'acl_allow',
  },

  // Role bindings alone.
  {
    name: 'CloudClusterAdmin without ACLs reads the topic by its binding',
    bindings: [clusterAdminOfA],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'role_binding',
  },
  {
    name: 'a role on a sibling cluster gives nothing on this one',
    bindings: [{ role: 'CloudClusterAdmin', crn: () => clusterCrn('B') }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: 'a role on a sibling cluster does not let one describe this cluster',
    bindings: [{ role: 'CloudClusterAdmin', crn: () => clusterCrn('B') }],
    operation: 'KafkaCluster:Describe',
    resource: () => clusterCrn('A'),
    allowed: false,
    reason: 'no_grant',
  },

  // ALLOW ACLs grant without any binding.
  {
    name: 'an ALLOW READ ACL grants the read without any binding',
    acls: [{ operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'nothing at all grants nothing',
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'no_grant',
  },

  // LITERAL and PREFIXED.
  {
    name: 'a LITERAL ACL does not reach a longer name',
    acls: [{ resourceName: 'orders', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders-eu'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: 'a PREFIXED ACL reaches every name it begins',
    acls: [{ resourceName: 'ord', patternType: 'PREFIXED', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders-eu'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'a PREFIXED ACL does not reach a name it does not begin',
    acls: [{ resourceName: 'ord', patternType: 'PREFIXED', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('payments'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: 'a PREFIXED ACL does not reach a shorter name',
    acls: [{ resourceName: 'orders-', patternType: 'PREFIXED', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: 'a LITERAL * ACL reaches every topic',
    acls: [{ resourceName: '*', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('anything'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: "a PREFIXED * is a prefix, not a wildcard",
    acls: [{ resourceName: '*', patternType: 'PREFIXED', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('anything'),
    allowed: false,
    reason: 'no_grant',
  },

  // Principals.
  {
    name: 'a User:* ALLOW applies to anyone',
    acls: [{ principal: 'User:*', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'a User:* DENY refuses even a CloudClusterAdmin',
    bindings: [clusterAdminOfA],
    acls: [{ principal: 'User:*', operation: 'READ', permission: 'DENY' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'acl_deny',
  },
  {
    name: "another principal's ALLOW grants me nothing",
    acls: [{ principal: 'other', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: "another principal's DENY does not refuse me",
    bindings: [clusterAdminOfA],
    acls: [{ principal: 'other', operation: 'READ', permission: 'DENY' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'role_binding',
  },

  // Hosts.
  {
    name: 'a host-specific ALLOW applies from that host',
    acls: [{ host: '10.0.0.1', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    host: '10.0.0.1',
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'a host-specific ALLOW does not apply from another host',
    acls: [{ host: '10.0.0.1', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    host: '10.0.0.2',
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: 'a host-specific ALLOW does not apply when the host is unknown',
    acls: [{ host: '10.0.0.1', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: 'a host-specific DENY refuses from that host',
    bindings: [clusterAdminOfA],
    acls: [{ host: '10.0.0.1', operation: 'READ', permission: 'DENY' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    host: '10.0.0.1',
    allowed: false,
    reason: 'acl_deny',
  },
  {
    name: 'a host-specific DENY leaves other hosts to the binding',
    bindings: [clusterAdminOfA],
    acls: [{ host: '10.0.0.1', operation: 'READ', permission: 'DENY' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    host: '10.0.0.9',
    allowed: true,
    reason: 'role_binding',
  },
  {
    name: 'a * host ACL applies from any host',
    acls: [{ operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    host: '192.0.2.7',
    allowed: true,
    reason: 'acl_allow',
  },

  // Kafka's implied operations.
  {
    name: 'ALLOW READ implies DESCRIBE',
    acls: [{ operation: 'READ' }],
    operation: 'Topic:Describe',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'ALLOW WRITE implies DESCRIBE',
    acls: [{ operation: 'WRITE' }],
    operation: 'Topic:Describe',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'ALLOW ALTER_CONFIGS implies DESCRIBE_CONFIGS',
    acls: [{ operation: 'ALTER_CONFIGS' }],
    operation: 'Topic:DescribeConfigs',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'ALLOW DESCRIBE does not imply READ',
    acls: [{ operation: 'DESCRIBE' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: 'DENY DESCRIBE does not deny READ',
    acls: [{ operation: 'READ' }, { operation: 'DESCRIBE', permission: 'DENY' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'DENY DESCRIBE does deny DESCRIBE, whatever READ implies',
    acls: [{ operation: 'READ' }, { operation: 'DESCRIBE', permission: 'DENY' }],
    operation: 'Topic:Describe',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'acl_deny',
  },
  {
    name: 'DENY READ does not deny DESCRIBE',
    acls: [{ operation: 'ALL' }, { operation: 'READ', permission: 'DENY' }],
    operation: 'Topic:Describe',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'acl_allow',
  },

  // Clusters and resource types.
  {
    name: "another cluster's ALLOW grants nothing here",
    acls: [{ cluster: 'B', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: "another cluster's DENY refuses nothing here",
    bindings: [clusterAdminOfA],
    acls: [{ cluster: 'B', operation: 'READ', permission: 'DENY' }],
    operation: 'Topic:Read',
    resource: () => topic('orders'),
    allowed: true,
    reason: 'role_binding',
  },
  {
    name: "this cluster's ALLOW grants nothing on the same topic name in another cluster",
    acls: [{ operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('orders', 'B'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: 'a GROUP ACL grants on the group',
    acls: [{ resourceType: 'GROUP', resourceName: 'billing', operation: 'READ' }],
    operation: 'Group:Read',
    resource: () => group('billing'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'a GROUP ACL grants nothing on a topic of the same name',
    acls: [{ resourceType: 'GROUP', resourceName: 'billing', operation: 'READ' }],
    operation: 'Topic:Read',
    resource: () => topic('billing'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: 'a TRANSACTIONAL_ID ACL grants on the transactional id',
    acls: [{ resourceType: 'TRANSACTIONAL_ID', resourceName: 'orders-tx-', patternType: 'PREFIXED', operation: 'WRITE' }],
    operation: 'TransactionalId:Write',
    resource: () => transactionalId('orders-tx-1'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'a CLUSTER ACL grants on the cluster',
    acls: [{ resourceType: 'CLUSTER', resourceName: 'kafka-cluster', operation: 'IDEMPOTENT_WRITE' }],
    operation: 'KafkaCluster:IdempotentWrite',
    resource: () => clusterCrn('A'),
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'a CLUSTER ACL grants on the cluster named by its kafka= segment',
    acls: [{ resourceType: 'CLUSTER', resourceName: 'kafka-cluster', operation: 'IDEMPOTENT_WRITE' }],
    operation: 'KafkaCluster:IdempotentWrite',
    resource: () => `${clusterCrn('A')}/kafka=${lkcA}`,
    allowed: true,
    reason: 'acl_allow',
  },
  {
    name: 'ACLs answer Kafka operations only, not management ones',
    acls: [{ resourceType: 'CLUSTER', resourceName: 'kafka-cluster', operation: 'ALL' }],
    operation: 'ApiKey:Manage',
    resource: () => clusterCrn('A'),
    allowed: false,
    reason: 'no_grant',
  },
  {
    name: 'a resource outside the organization is refused',
    acls: [{ operation: 'ALL' }],
    operation: 'Topic:Read',
    resource: () => topic('orders').replace(ctx.orgId, '00000000-0000-0000-0000-000000000000'),
    allowed: false,
    reason: 'invalid_resource',
  },
];

async function addAcl(me: string, spec: AclSpec) {
  const { cluster = 'A', principal = 'me', ...rest } = spec;
  const named = principal === 'me' ? me : principal === 'other' ? other.principal : principal;
  return createKafkaAcl(ctx, admin, clusterId(cluster), {
    resourceType: 'TOPIC',
    resourceName: 'orders',
    patternType: 'LITERAL',
    host: '*',
    operation: 'READ',
    permission: 'ALLOW',
    ...rest,
    principal: named,
  });
}

describe('authorize() over role bindings and Kafka ACLs', () => {
  it.each(cases)('$name', async (c) => {
    const me = await addPrincipal(
      kp,
      'service-account',
      (c.bindings ?? []).map((b) => ({ role: b.role, crn: b.crn() })),
    );
    for (const spec of c.acls ?? []) await addAcl(me.principal, spec);
    const decision = await authorize(ctx, me.principal, c.operation, c.resource(), { host: c.host });
    expect({ allowed: decision.allowed, reason: decision.reason }, decision.detail).toEqual({ allowed: c.allowed, reason: c.reason });
  });

  it('a user is decided like a service account', async () => {
    const me = await addPrincipal(kp, 'user');
    await addAcl(me.principal, { operation: 'WRITE' });
    expect((await authorize(ctx, me.principal, 'Topic:Write', topic('orders'))).reason).toBe('acl_allow');
    expect((await authorize(ctx, me.principal, 'Topic:Read', topic('orders'))).reason).toBe('no_grant');
  });

  it('returns the binding that granted, and the ACL that allowed or denied', async () => {
    const me = await addPrincipal(kp, 'service-account', [{ role: 'CloudClusterAdmin', crn: clusterCrn('A') }]);
    const binding = (await ctx.store.find('roleBindings', { principal: me.principal }))!;
    const byRole = await authorize(ctx, me.principal, 'Topic:Write', topic('orders'));
    expect(byRole).toMatchObject({
      allowed: true,
      reason: 'role_binding',
      binding: { id: binding.id, roleName: 'CloudClusterAdmin', crnPattern: clusterCrn('A') },
    });
    expect(byRole.acl).toBeUndefined();
    expect(byRole.detail).toEqual(expect.any(String));

    const deny = await addAcl(me.principal, { operation: 'WRITE', permission: 'DENY' });
    const denied = await authorize(ctx, me.principal, 'Topic:Write', topic('orders'));
    expect(denied).toMatchObject({
      allowed: false,
      reason: 'acl_deny',
      acl: {
        id: deny.id,
        clusterId: lkcA,
        principal: me.principal,
        resourceType: 'TOPIC',
        resourceName: 'orders',
        patternType: 'LITERAL',
        operation: 'WRITE',
        host: '*',
        permission: 'DENY',
      },
    });
    expect(denied.binding).toBeUndefined();

    const reader = await addPrincipal(kp, 'user');
    const allow = await addAcl(reader.principal, { resourceName: 'ord', patternType: 'PREFIXED', operation: 'READ' });
    const allowed = await authorize(ctx, reader.principal, 'Topic:Read', topic('orders'));
    expect(allowed).toMatchObject({ allowed: true, reason: 'acl_allow', acl: { id: allow.id, patternType: 'PREFIXED', resourceName: 'ord' } });
  });

  it('sees an ACL as soon as it is created and forgets it as soon as it is deleted', async () => {
    const me = await addPrincipal(kp, 'service-account');
    expect((await authorize(ctx, me.principal, 'Topic:Read', topic('orders'))).allowed).toBe(false);
    await addAcl(me.principal, { operation: 'READ' });
    expect((await authorize(ctx, me.principal, 'Topic:Read', topic('orders'))).allowed).toBe(true);
    await ctx.store.deleteWhere('kafkaAcls', { principal: me.principal });
    expect((await authorize(ctx, me.principal, 'Topic:Read', topic('orders'))).allowed).toBe(false);
  });
});

describe('ACLs go with the principal they name', () => {
  it('deleting a service account through the API removes its ACLs; User:* ACLs stay', async () => {
    const res = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'acl-cascade' } });
    expect(res.status, res.text).toBe(201);
    const principal = `User:${res.body.id}`;
    await createKafkaAcl(ctx, admin, lkcA, {
      resourceType: 'TOPIC',
      resourceName: 'orders',
      patternType: 'LITERAL',
      principal,
      host: '*',
      operation: 'READ',
      permission: 'ALLOW',
    });
    await createKafkaAcl(ctx, admin, lkcB, {
      resourceType: 'GROUP',
      resourceName: 'orders-',
      patternType: 'PREFIXED',
      principal,
      host: '*',
      operation: 'ALL',
      permission: 'DENY',
    });
    await addAcl(other.principal, { principal: 'User:*', operation: 'DESCRIBE' });
    expect((await authorize(ctx, principal, 'Topic:Read', topic('orders'))).reason).toBe('acl_allow');

    expect((await kp.call('DELETE', `/iam/v2/service-accounts/${res.body.id}`)).status).toBe(204);
    expect(await ctx.store.count('kafkaAcls', { principal })).toBe(0);
    expect(await ctx.store.count('kafkaAcls', { principal: 'User:*' })).toBe(1);
    expect((await authorize(ctx, principal, 'Topic:Read', topic('orders'))).reason).toBe('no_grant');
  });
});
