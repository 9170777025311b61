import { describe, expect, it } from 'vitest';
import { type AclRule, type BindingRule, decide, parseBindingPattern, patternReaches } from './authorization.js';
import { crnsFor, parseCrn } from './crn.js';
import { type RoleName, roleNames, roles } from './roles.js';

const ORG = '9bb441c4-edef-46ac-8a41-c49e44a3fd9a';
const crn = crnsFor(ORG);
const ME = 'User:u-tester';

const envA = crn.environment('env-a');
const lkcA = crn.kafkaCluster('env-a', 'lkc-a');
const lkcB = crn.kafkaCluster('env-a', 'lkc-b');
const topicA = `${lkcA}/kafka=lkc-a/topic=orders`;
const srA = crn.schemaRegistry('env-a', 'lsrc-a');
const subjA = `${srA}/subject=orders-value`;

/** Where a role is bound in the matrix below. */
const at = {
  org: crn.organization(),
  envA,
  envB: crn.environment('env-b'),
  lkcA,
  lkcB,
  topicA,
  saA: crn.serviceAccount('sa-a'),
};

/** The operations of the matrix, in column order. */
const columns: Array<[string, string]> = [
  ['Organization:Describe', crn.organization()],
  ['Environment:Create', crn.organization()],
  ['Environment:Describe', envA],
  ['Environment:Alter', envA],
  ['Environment:Delete', crn.environment('env-b')],
  ['KafkaCluster:Create', envA],
  ['KafkaCluster:Describe', lkcA],
  ['KafkaCluster:Alter', lkcA],
  ['KafkaCluster:Delete', lkcA],
  ['Acl:Create', lkcA],
  ['Topic:Read', topicA],
  ['Topic:Write', topicA],
  ['Topic:Create', topicA],
  ['ServiceAccount:Create', crn.organization()],
  ['ServiceAccount:Describe', crn.serviceAccount('sa-a')],
  ['ApiKey:Manage', crn.serviceAccount('sa-a')],
  ['ApiKey:Manage', lkcA],
  ['User:Describe', crn.user('u-other')],
  ['RoleBinding:Create', envA],
  ['FlinkRegion:UseCompute', crn.flinkRegion('env-a', 'aws.us-east-1')],
  ['Subject:Write', subjA],
  ['Quota:Describe', crn.organization()],
];

/**
 * Roles × scopes × operations: one row per binding, one character per column above
 * (`x` allowed, `.` refused). Worked out from the role definitions by hand, so a change to a
 * role shows up here as a decision that moved.
 */
const matrix: Array<[RoleName, keyof typeof at, string]> = [
  ['OrganizationAdmin', 'org', 'xxxxxxxxxxxxxxxxxxxxxx'],
  ['AccountAdmin', 'org', 'x............xxx.x...x'],
  ['EnvironmentAdmin', 'envA', 'x.xx.xxxxxxxx...x.xxx.'],
  ['EnvironmentAdmin', 'envB', 'x...x.................'],
  ['CloudClusterAdmin', 'lkcA', 'x.x...xx.xxxx...x.....'],
  ['CloudClusterAdmin', 'lkcB', 'x.x...................'],
  ['ResourceOwner', 'topicA', 'x.x...x...xxx.........'],
  ['ResourceOwner', 'saA', 'x.............xx......'],
  ['ResourceKeyAdmin', 'org', 'x.....x.......x.......'],
  ['Assigner', 'saA', 'x.............x.......'],
  ['Operator', 'envA', 'x.x...x...............'],
  ['MetricsViewer', 'org', 'x.x...x...............'],
  ['AuditLogReader', 'org', '......................'],
  ['DeveloperRead', 'topicA', 'x.x...x...x...........'],
  ['DeveloperWrite', 'topicA', 'x.x...x....x..........'],
  ['DeveloperManage', 'topicA', 'x.x...x.....x.........'],
  ['FlinkAdmin', 'envA', 'x.x................x..'],
  ['FlinkDeveloper', 'envA', 'x.x................x..'],
  ['DataDiscovery', 'envA', 'x.x...................'],
  ['DataSteward', 'envA', 'x.x.................x.'],
];

function binding(role: string, crnPattern: string, principal = ME): BindingRule {
  return { id: `rb-${role}`, principal, roleName: role, crnPattern };
}

describe('authorization: roles × scopes × operations', () => {
  it('covers every predefined role', () => {
    expect(new Set(matrix.map(([role]) => role))).toEqual(new Set(roleNames));
    for (const [, , row] of matrix) expect(row).toHaveLength(columns.length);
  });

  for (const [role, scope, row] of matrix) {
    it(`${role} at ${scope}`, () => {
      const got = columns
        .map(([operation, resource]) => (decide({ principal: ME, operation, resource, orgId: ORG, bindings: [binding(role, at[scope])] }).allowed ? 'x' : '.'))
        .join('');
      expect(got).toBe(row);
    });
  }

  it('refuses everything to a principal without bindings, and ignores bindings of others', () => {
    for (const [operation, resource] of columns) {
      const decision = decide({ principal: ME, operation, resource, orgId: ORG, bindings: [binding('OrganizationAdmin', at.org, 'User:u-someone')] });
      expect(decision).toMatchObject({ allowed: false, reason: 'no_grant' });
    }
  });

  it('names the binding that granted, and why a container is visible', () => {
    const grant = decide({ principal: ME, operation: 'Topic:Read', resource: topicA, orgId: ORG, bindings: [binding('DeveloperRead', topicA)] });
    expect(grant).toMatchObject({ allowed: true, reason: 'role_binding', binding: { roleName: 'DeveloperRead', crnPattern: topicA } });
    const visible = decide({ principal: ME, operation: 'Environment:Describe', resource: envA, orgId: ORG, bindings: [binding('DeveloperRead', topicA)] });
    expect(visible).toMatchObject({ allowed: true, reason: 'contains_bound_resource' });
  });

  it('lets a principal read itself and nothing more of itself', () => {
    const self = (operation: string, resource: string, principal: string) => decide({ principal, operation, resource, orgId: ORG, bindings: [] });
    expect(self('User:Describe', crn.user('u-tester'), ME)).toMatchObject({ allowed: true, reason: 'self' });
    expect(self('User:Alter', crn.user('u-tester'), ME).allowed).toBe(false);
    expect(self('ServiceAccount:Describe', crn.serviceAccount('sa-me'), 'User:sa-me')).toMatchObject({ allowed: true, reason: 'self' });
    expect(self('ServiceAccount:Describe', crn.serviceAccount('sa-other'), 'User:sa-me').allowed).toBe(false);
  });

  it('matches a trailing * as a prefix of the last name only', () => {
    const bindings = [binding('DeveloperRead', `${lkcA}/kafka=lkc-a/topic=ord*`)];
    const read = (topic: string) => decide({ principal: ME, operation: 'Topic:Read', resource: `${lkcA}/kafka=lkc-a/topic=${topic}`, orgId: ORG, bindings }).allowed;
    expect(read('orders')).toBe(true);
    expect(read('ord')).toBe(true);
    expect(read('payments')).toBe(false);
    expect(decide({ principal: ME, operation: 'Topic:Read', resource: `${lkcB}/kafka=lkc-b/topic=orders`, orgId: ORG, bindings }).allowed).toBe(false);
  });

  it('refuses resources outside the organization and text that is not a CRN', () => {
    const bindings = [binding('OrganizationAdmin', at.org)];
    for (const resource of ['not a crn', 'crn://confluent.cloud/organization=other/environment=env-a', 'crn://elsewhere/organization=x']) {
      expect(decide({ principal: ME, operation: 'Environment:Describe', resource, orgId: ORG, bindings })).toMatchObject({ allowed: false, reason: 'invalid_resource' });
    }
  });

  it('ignores stored bindings whose role or pattern is not valid', () => {
    const bindings = [binding('NoSuchRole', at.org), binding('OrganizationAdmin', 'crn://confluent.cloud/organization=other')];
    expect(decide({ principal: ME, operation: 'Environment:Describe', resource: envA, orgId: ORG, bindings }).allowed).toBe(false);
  });
});

describe('authorization: Kafka ACLs', () => {
  const acl = (over: Partial<AclRule>): AclRule => ({
    clusterId: 'lkc-a',
    principal: ME,
    resourceType: 'TOPIC',
    resourceName: 'orders',
    patternType: 'LITERAL',
    operation: 'READ',
    host: '*',
    permission: 'ALLOW',
    ...over,
  });
  const ask = (operation: string, acls: AclRule[], options: { resource?: string; bindings?: BindingRule[]; host?: string } = {}) =>
    decide({ principal: ME, operation, resource: options.resource ?? topicA, orgId: ORG, bindings: options.bindings ?? [], acls, host: options.host });

  it.each([
    ['an ALLOW on the topic', [acl({})], 'Topic:Read', true],
    ['an ALLOW of another operation', [acl({ operation: 'WRITE' })], 'Topic:Read', false],
    ['ALL', [acl({ operation: 'ALL' })], 'Topic:Delete', true],
    ['READ implies DESCRIBE', [acl({ operation: 'READ' })], 'Topic:Describe', true],
    ['ALTER_CONFIGS implies DESCRIBE_CONFIGS', [acl({ operation: 'ALTER_CONFIGS' })], 'Topic:DescribeConfigs', true],
    ['DESCRIBE does not imply READ', [acl({ operation: 'DESCRIBE' })], 'Topic:Read', false],
    ['a PREFIXED name', [acl({ patternType: 'PREFIXED', resourceName: 'ord' })], 'Topic:Read', true],
    ['a PREFIXED name that is not a prefix', [acl({ patternType: 'PREFIXED', resourceName: 'pay' })], 'Topic:Read', false],
    ['a LITERAL * name', [acl({ resourceName: '*' })], 'Topic:Read', true],
    ['a LITERAL name that is only a prefix', [acl({ resourceName: 'ord' })], 'Topic:Read', false],
    ['User:*', [acl({ principal: 'User:*' })], 'Topic:Read', true],
    ['another principal', [acl({ principal: 'User:sa-other' })], 'Topic:Read', false],
    ['another cluster', [acl({ clusterId: 'lkc-b' })], 'Topic:Read', false],
    ['a GROUP ACL for a topic', [acl({ resourceType: 'GROUP' })], 'Topic:Read', false],
    ['a host-specific ACL without a host', [acl({ host: '10.0.0.1' })], 'Topic:Read', false],
  ])('%s', (_name, acls, operation, allowed) => {
    expect(ask(operation, acls).allowed).toBe(allowed);
  });

  it('applies a host-specific ACL to that host only', () => {
    const acls = [acl({ host: '10.0.0.1' })];
    expect(ask('Topic:Read', acls, { host: '10.0.0.1' }).allowed).toBe(true);
    expect(ask('Topic:Read', acls, { host: '10.0.0.2' }).allowed).toBe(false);
  });

  it('lets a DENY win over a role binding and over an ALLOW', () => {
    const bindings = [binding('CloudClusterAdmin', lkcA)];
    const deny = acl({ permission: 'DENY' });
    expect(ask('Topic:Read', [], { bindings }).allowed).toBe(true);
    expect(ask('Topic:Read', [deny], { bindings })).toMatchObject({ allowed: false, reason: 'acl_deny', acl: deny });
    expect(ask('Topic:Read', [acl({ operation: 'ALL' }), deny]).allowed).toBe(false);
    expect(ask('Topic:Write', [deny], { bindings }).allowed).toBe(true);
  });

  it('denies only the operation named: DENY DESCRIBE leaves READ to the binding', () => {
    const bindings = [binding('DeveloperRead', topicA)];
    expect(ask('Topic:Read', [acl({ permission: 'DENY', operation: 'DESCRIBE' })], { bindings }).allowed).toBe(true);
    expect(ask('Topic:Describe', [acl({ permission: 'DENY', operation: 'DESCRIBE' })], { bindings }).allowed).toBe(false);
  });

  it('treats the cluster itself as the CLUSTER resource kafka-cluster', () => {
    const acls = [acl({ resourceType: 'CLUSTER', resourceName: 'kafka-cluster', operation: 'IDEMPOTENT_WRITE' })];
    expect(ask('KafkaCluster:IdempotentWrite', acls, { resource: `${lkcA}/kafka=lkc-a` })).toMatchObject({ allowed: true, reason: 'acl_allow' });
  });

  it('ignores ACLs for operations outside Kafka', () => {
    expect(ask('Environment:Alter', [acl({ operation: 'ALL', resourceType: 'CLUSTER', resourceName: 'kafka-cluster' })], { resource: envA }).allowed).toBe(false);
  });
});

describe('binding patterns', () => {
  it.each([
    [`crn://confluent.cloud/organization=${ORG}`, 'organization'],
    [envA, 'environment'],
    [lkcA, 'cloud-cluster'],
    [`${lkcA}/kafka=lkc-a`, 'kafka'],
    [topicA, 'topic'],
    [`${lkcA}/kafka=lkc-a/topic=*`, 'topic'],
    [`${lkcA}/kafka=lkc-a/group=app-*`, 'group'],
    [subjA, 'subject'],
    [crn.ksqldbCluster('env-a', 'lksqlc-a'), 'ksql'],
    [crn.flinkRegion('env-a', 'aws.us-east-1'), 'flink-region'],
    [crn.serviceAccount('sa-a'), 'service-account'],
  ])('accepts %s (scope %s)', (text, scope) => {
    expect(parseBindingPattern(text, ORG)).toMatchObject({ ok: true, pattern: { scope } });
  });

  it.each([
    ['not-a-crn', 'is not a CRN'],
    ['crn://example.com/organization=x', 'authority'],
    ['crn://confluent.cloud/organization=someone-else', 'this organization'],
    [`${envA}/topic=orders`, 'cannot have topic= right after environment='],
    [`${envA}/planet=mars`, "unknown type 'planet'"],
    [`${lkcA}/kafka=lkc-z`, 'must repeat the cloud-cluster id'],
    [crn.environment('env-*'), 'may end in *'],
    [`${lkcA}/kafka=lkc-a/topic=or*ders`, 'may end in *'],
  ])('refuses %s', (text, reason) => {
    const check = parseBindingPattern(text, ORG);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toContain(reason);
  });

  it('reaches the object and what is inside it, not its parent or siblings', () => {
    const check = parseBindingPattern(lkcA, ORG);
    if (!check.ok) throw new Error(check.reason);
    expect(patternReaches(check.pattern, parseCrn(topicA)!)).toBe(true);
    expect(patternReaches(check.pattern, parseCrn(lkcA)!)).toBe(true);
    expect(patternReaches(check.pattern, parseCrn(envA)!)).toBe(false);
    expect(patternReaches(check.pattern, parseCrn(lkcB)!)).toBe(false);
  });

  it('gives every role at least one scope and a description', () => {
    for (const name of roleNames) {
      expect(roles[name].scopes.length).toBeGreaterThan(0);
      expect(roles[name].description.length).toBeGreaterThan(10);
    }
  });
});
