/**
 * The predefined roles, as data: where each can be bound and what it grants there. Roles are
 * bound to a principal at a CRN pattern (a role binding); a grant applies to the pattern's
 * resource and to everything nested in it.
 *
 * Operations are written `<Type>:<Action>`. Management operations name the kind of object the
 * call acts on (`Environment:Alter` on an environment's CRN; `KafkaCluster:Create` on the
 * environment it is created in); data-plane operations name a Kafka, Schema Registry, ksqlDB or
 * Flink resource (`Topic:Read` on a topic's CRN). `ApiKey:Verify` on a resource's CRN lets a
 * Cloud API key call the data plane's verification endpoints for that resource. `*` matches any
 * type or action.
 */

/** CRN segment types a role binding's pattern can end in: the scopes roles are bound at. */
export const bindingScopes = [
  'organization',
  'environment',
  'cloud-cluster',
  'kafka',
  'topic',
  'group',
  'transactional-id',
  'schema-registry',
  'subject',
  'ksql',
  'flink-region',
  'service-account',
  'user',
] as const;

export type BindingScope = (typeof bindingScopes)[number];

/** Where each scope sits: the segment type that must come right before it in a CRN. */
export const scopeParents: Record<Exclude<BindingScope, 'organization'>, BindingScope> = {
  environment: 'organization',
  'cloud-cluster': 'environment',
  kafka: 'cloud-cluster',
  topic: 'kafka',
  group: 'kafka',
  'transactional-id': 'kafka',
  'schema-registry': 'environment',
  subject: 'schema-registry',
  ksql: 'environment',
  'flink-region': 'environment',
  'service-account': 'organization',
  user: 'organization',
};

/** Scopes whose value may end in `*` (a prefix match): named resources inside a cluster. */
export const wildcardScopes: readonly BindingScope[] = ['topic', 'group', 'transactional-id', 'subject'];

/** The object type an operation on a CRN of each segment type acts on, for `<Type>:Describe`. */
export const crnObjectTypes: Record<BindingScope, string> = {
  organization: 'Organization',
  environment: 'Environment',
  'cloud-cluster': 'KafkaCluster',
  kafka: 'KafkaCluster',
  topic: 'Topic',
  group: 'Group',
  'transactional-id': 'TransactionalId',
  'schema-registry': 'SchemaRegistry',
  subject: 'Subject',
  ksql: 'KsqlCluster',
  'flink-region': 'FlinkRegion',
  'service-account': 'ServiceAccount',
  user: 'User',
};

export interface Grant {
  /** Operation patterns: `Type:Action`, `Type:*` or `*`. */
  operations: readonly string[];
  /** Only on CRNs whose last segment is one of these; absent means anywhere in the binding's reach. */
  on?: readonly BindingScope[];
}

export interface RoleDefinition {
  description: string;
  /** The scopes this role can be bound at; a binding elsewhere is refused. */
  scopes: readonly BindingScope[];
  grants: readonly Grant[];
  /** Only an OrganizationAdmin may bind these roles: they reach across the organization. */
  privileged?: boolean;
}

const describeClusters = ['KafkaCluster:Describe', 'SchemaRegistry:Describe', 'KsqlCluster:Describe', 'FlinkRegion:Describe'];

const kafkaData = ['Topic:*', 'Group:*', 'TransactionalId:*', 'Subject:*', 'KsqlCluster:*'];

export const roles = {
  OrganizationAdmin: {
    description: 'Everything in the organization: accounts, environments, resources, keys, roles, ACLs and quotas',
    scopes: ['organization'],
    grants: [{ operations: ['*'] }],
    privileged: true,
  },
  AccountAdmin: {
    description: 'Users, invitations and service accounts, their API keys and the roles bound on them',
    scopes: ['organization'],
    grants: [
      { operations: ['Organization:Describe', 'Quota:Describe', 'User:*', 'Invitation:*', 'ServiceAccount:*'] },
      { operations: ['ApiKey:Manage', 'RoleBinding:*'], on: ['organization', 'user', 'service-account'] },
    ],
    privileged: true,
  },
  AuditLogReader: {
    description: "Read the organization's audit log: every management call and authentication",
    scopes: ['organization'],
    grants: [{ operations: ['AuditLog:Read'] }],
    // The log names every principal, key id and resource of the organization.
    privileged: true,
  },
  EnvironmentAdmin: {
    description: 'Everything in one environment: its resources, their keys, ACLs and role bindings',
    scopes: ['environment'],
    grants: [{ operations: ['*'] }],
  },
  CloudClusterAdmin: {
    description: 'One Kafka cluster: its settings, keys, ACLs, topics, groups and role bindings (not deleting it)',
    scopes: ['cloud-cluster'],
    grants: [
      {
        operations: [
          'KafkaCluster:Describe',
          'KafkaCluster:Alter',
          'KafkaCluster:IdempotentWrite',
          'ApiKey:Manage',
          'ApiKey:Verify',
          'Acl:*',
          'RoleBinding:*',
          'Metrics:View',
          ...kafkaData,
        ],
      },
    ],
  },
  ResourceOwner: {
    description: 'One resource (topic, group, transactional id, subject, ksqlDB app or service account) and who may use it',
    scopes: ['topic', 'group', 'transactional-id', 'subject', 'ksql', 'service-account'],
    grants: [
      { operations: [...kafkaData, 'RoleBinding:*'] },
      { operations: ['ServiceAccount:Describe', 'ServiceAccount:Assign', 'ApiKey:Manage'], on: ['service-account'] },
    ],
  },
  ResourceKeyAdmin: {
    description: "Resource-scoped API keys (Kafka, Schema Registry, ksqlDB, Tableflow) of the service accounts in its scope",
    scopes: ['organization', 'service-account'],
    grants: [
      { operations: ['Organization:Describe', 'ServiceAccount:Describe', ...describeClusters] },
      { operations: ['ApiKey:ManageResourceKeys'], on: ['service-account'] },
    ],
  },
  Assigner: {
    description: 'Use a service account as the identity of Flink statements and connectors',
    scopes: ['service-account'],
    grants: [{ operations: ['ServiceAccount:Describe', 'ServiceAccount:Assign'] }],
  },
  Operator: {
    description: 'See and operate resources without reading or changing data',
    scopes: ['environment', 'cloud-cluster'],
    grants: [{ operations: ['Environment:Describe', ...describeClusters, 'Topic:Describe', 'Group:Describe', 'Metrics:View'] }],
  },
  MetricsViewer: {
    description: 'Read metrics of the resources in scope',
    scopes: ['organization', 'environment', 'cloud-cluster'],
    grants: [{ operations: ['Organization:Describe', 'Environment:Describe', ...describeClusters, 'Metrics:View'] }],
  },
  DeveloperRead: {
    description: 'Consume from topics, read groups and schema subjects, query ksqlDB',
    scopes: ['topic', 'group', 'subject', 'ksql'],
    grants: [
      { operations: ['Topic:Read', 'Topic:Describe', 'Group:Read', 'Group:Describe', 'Subject:Read', 'Subject:Describe', 'KsqlCluster:Describe', 'KsqlCluster:Read'] },
    ],
  },
  DeveloperWrite: {
    description: 'Produce to topics (idempotently and in transactions), write schema subjects and ksqlDB streams',
    scopes: ['kafka', 'topic', 'transactional-id', 'subject', 'ksql'],
    grants: [
      {
        operations: [
          'Topic:Write',
          'Topic:Describe',
          'TransactionalId:Write',
          'TransactionalId:Describe',
          'KafkaCluster:IdempotentWrite',
          'Subject:Write',
          'Subject:Read',
          'Subject:Describe',
          'KsqlCluster:Describe',
          'KsqlCluster:Write',
        ],
      },
    ],
  },
  DeveloperManage: {
    description: 'Create, alter and delete topics, groups and schema subjects; no data access',
    scopes: ['kafka', 'topic', 'group', 'transactional-id', 'subject', 'ksql'],
    grants: [
      {
        operations: [
          'Topic:Create',
          'Topic:Delete',
          'Topic:Alter',
          'Topic:Describe',
          'Topic:DescribeConfigs',
          'Topic:AlterConfigs',
          'Group:Describe',
          'Group:Delete',
          'TransactionalId:Describe',
          'Subject:Describe',
          'Subject:Alter',
          'Subject:Delete',
          'KsqlCluster:Describe',
          'KsqlCluster:Alter',
        ],
      },
    ],
  },
  FlinkAdmin: {
    description: 'Flink in one environment: compute, statements, and Flink API keys',
    scopes: ['environment'],
    grants: [
      { operations: ['Environment:Describe', 'FlinkRegion:*', 'FlinkStatement:*'] },
      { operations: ['ApiKey:Manage', 'ApiKey:Verify'], on: ['flink-region'] },
    ],
  },
  FlinkDeveloper: {
    description: 'Run Flink statements in one environment',
    scopes: ['environment'],
    grants: [{ operations: ['Environment:Describe', 'FlinkRegion:Describe', 'FlinkRegion:UseCompute', 'FlinkStatement:*'] }],
  },
  DataDiscovery: {
    description: 'Search and read the data catalog and schema subjects of one environment',
    scopes: ['environment'],
    grants: [{ operations: ['Environment:Describe', 'SchemaRegistry:Describe', 'Subject:Describe', 'Catalog:Read'] }],
  },
  DataSteward: {
    description: 'Govern the data catalog and schemas of one environment',
    scopes: ['environment'],
    grants: [{ operations: ['Environment:Describe', 'SchemaRegistry:Describe', 'SchemaRegistry:Alter', 'Subject:*', 'Catalog:*'] }],
  },
} as const satisfies Record<string, RoleDefinition>;

export type RoleName = keyof typeof roles;

export const roleNames = Object.keys(roles) as RoleName[];

export function isRoleName(name: string): name is RoleName {
  return Object.hasOwn(roles, name);
}

/** OrganizationAdmin, AccountAdmin and AuditLogReader: roles only an OrganizationAdmin may bind. */
export function isPrivileged(name: string): boolean {
  return isRoleName(name) && (roles[name] as RoleDefinition).privileged === true;
}

/** Whether an operation pattern (`*`, `Type:*`, `Type:Action`) covers an operation. */
export function operationMatches(pattern: string, operation: string): boolean {
  if (pattern === '*' || pattern === operation) return true;
  return pattern.endsWith(':*') && operation.startsWith(pattern.slice(0, -1));
}

/** Whether `role`, bound at a pattern that reaches a CRN ending in `scope`, grants `operation` there. */
export function roleGrants(role: RoleName, operation: string, targetScope: BindingScope | undefined): boolean {
  const definition: RoleDefinition = roles[role];
  return definition.grants.some(
    (grant) =>
      (grant.on === undefined || (targetScope !== undefined && grant.on.includes(targetScope))) &&
      grant.operations.some((pattern) => operationMatches(pattern, operation)),
  );
}
