import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database schema as Kysely sees it. Properties are camelCase; the CamelCasePlugin maps them
 * to snake_case columns. Timestamps are RFC 3339 UTC strings with milliseconds, which sort as
 * text in both SQLite and PostgreSQL.
 */
export interface OrganizationsTable {
  id: string;
  displayName: string;
  /** 1 when deleting a principal whose keys were used in the last 7 days needs `?force=true`; else 0. */
  inUseGuard: Generated<number>;
  /** What `POST /v1/leaks` does with a reported secret of a live key: `revoke` (default) or `notify`. */
  leakPolicy: Generated<string>;
  createdAt: string;
  updatedAt: string;
}

export interface EnvironmentsTable {
  id: string;
  displayName: string;
  streamGovernancePackage: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface UsersTable {
  id: string;
  email: string;
  fullName: string;
  authType: string;
  /** The console password as a scrypt hash (`scrypt$N$r$p$salt$hash`); null until one is set. */
  passwordHash: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface InvitationsTable {
  id: string;
  email: string;
  authType: string;
  status: string;
  userId: string;
  creatorId: string | null;
  expiresAt: string;
  acceptedAt: string | null;
  /** Keyed hash of the one-time link's token; null when no link is outstanding. */
  linkHash: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ServiceAccountsTable {
  id: string;
  displayName: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

/** Kafka clusters, Schema Registries and ksqlDB apps registered as key scopes. */
export interface ResourcesTable {
  id: string;
  type: string;
  environmentId: string;
  displayName: string;
  cloud: string;
  region: string;
  /** Per-type settings as a JSON object (availability, package, csu, kafka cluster…). */
  attributes: string;
  createdAt: string;
  updatedAt: string;
}

export interface ApiKeysTable {
  id: string;
  ownerId: string;
  ownerKind: string;
  scopeKind: string;
  /** The scope's id: `lkc-…`, `lsrc-…`, `lksqlc-…`, `<cloud>.<region>`, `cloud`, `global`, `tableflow`. */
  resourceId: string;
  /** The environment of an environment-scoped resource, otherwise null. */
  resourceEnvironmentId: string | null;
  displayName: string;
  description: string;
  /** HMAC-SHA-256 of the secret under pepper `pepperVersion`, base64. */
  secretHash: string;
  pepperVersion: number;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
}

export interface RoleBindingsTable {
  id: string;
  principal: string;
  roleName: string;
  crnPattern: string;
  createdAt: string;
}

/** Kafka ACLs of one cluster, in Kafka's own terms (upper-case enums; `User:*` and `*` as wildcards). */
export interface KafkaAclsTable {
  id: string;
  clusterId: string;
  principal: string;
  resourceType: string;
  resourceName: string;
  patternType: string;
  operation: string;
  host: string;
  permission: string;
  createdAt: string;
}

/** Messages between nodes, kept for a while so that a node that missed one can catch up. */
export interface NotificationsTable {
  id: string;
  channel: string;
  payload: string;
  createdAt: string;
}

/** Running totals kept in the transactions that change them (quota usage), so none is ever counted. */
export interface CountersTable {
  id: string;
  value: number;
  createdAt: string;
}

/** One audit record: a CloudEvent (`data`, as hashed) with the columns queries filter on. */
export interface AuditEventsTable {
  /** `<chain id>-<seq, 12 digits>`: ids sort by sequence within a chain. */
  id: string;
  chainId: string;
  seq: number;
  type: string;
  method: string;
  principal: string | null;
  keyId: string | null;
  resourceName: string;
  /** `success` or `failure`. */
  result: string;
  /** The CloudEvent as JSON, exactly as it went into the hash. */
  data: string;
  prevHash: string;
  hash: string;
  /** The event's time; never earlier than the one before it in its chain. */
  createdAt: string;
}

/** The head of each node's hash chain: what the next event links to. */
export interface AuditChainsTable {
  id: string;
  seq: number;
  hash: string;
  /** Keyed like the links: a head cannot be set back to an earlier event to hide a cut-off end. */
  mac: string;
  lastEventAt: string;
  createdAt: string;
}

/** A signed-in console session. The cookie holds the token; only its keyed hash is stored. */
export interface ConsoleSessionsTable {
  /** Keyed hash of the session token. */
  id: string;
  userId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

export interface Database {
  organizations: OrganizationsTable;
  environments: EnvironmentsTable;
  users: UsersTable;
  invitations: InvitationsTable;
  serviceAccounts: ServiceAccountsTable;
  resources: ResourcesTable;
  apiKeys: ApiKeysTable;
  roleBindings: RoleBindingsTable;
  kafkaAcls: KafkaAclsTable;
  notifications: NotificationsTable;
  counters: CountersTable;
  auditEvents: AuditEventsTable;
  auditChains: AuditChainsTable;
  consoleSessions: ConsoleSessionsTable;
}

export type Organization = Selectable<OrganizationsTable>;
export type Environment = Selectable<EnvironmentsTable>;
export type User = Selectable<UsersTable>;
export type Invitation = Selectable<InvitationsTable>;
export type ServiceAccount = Selectable<ServiceAccountsTable>;
export type Resource = Selectable<ResourcesTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type RoleBinding = Selectable<RoleBindingsTable>;
export type KafkaAcl = Selectable<KafkaAclsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type AuditChain = Selectable<AuditChainsTable>;
export type ConsoleSession = Selectable<ConsoleSessionsTable>;

export type NewApiKey = Insertable<ApiKeysTable>;
export type ApiKeyUpdate = Pick<Updateable<ApiKeysTable>, 'displayName' | 'description' | 'updatedAt'>;
