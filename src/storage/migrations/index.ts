import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * The one migration set, for every backend. Column types are the portable subset (text,
 * integer); anything dialect-specific stays out so that the schema-parity test can compare.
 * Names are snake_case here because migrations run without the CamelCasePlugin.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped schema.
type Db = Kysely<any>;

const timestamps = ['created_at', 'updated_at'] as const;

export const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Db) {
      await db.schema
        .createTable('organizations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn(timestamps[0], 'text', (c) => c.notNull())
        .addColumn(timestamps[1], 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('environments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('stream_governance_package', 'text')
        .addColumn(timestamps[0], 'text', (c) => c.notNull())
        .addColumn(timestamps[1], 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('environments_page').on('environments').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('full_name', 'text', (c) => c.notNull())
        .addColumn('auth_type', 'text', (c) => c.notNull())
        .addColumn(timestamps[0], 'text', (c) => c.notNull())
        .addColumn(timestamps[1], 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('users_page').on('users').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('invitations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('auth_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('creator_id', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('accepted_at', 'text')
        .addColumn(timestamps[0], 'text', (c) => c.notNull())
        .addColumn(timestamps[1], 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('invitations_page').on('invitations').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('service_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn(timestamps[0], 'text', (c) => c.notNull())
        .addColumn(timestamps[1], 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('service_accounts_page').on('service_accounts').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('resources')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('cloud', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addColumn(timestamps[0], 'text', (c) => c.notNull())
        .addColumn(timestamps[1], 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('resources_page')
        .on('resources')
        .columns(['type', 'environment_id', 'created_at', 'id'])
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('scope_kind', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text', (c) => c.notNull())
        .addColumn('resource_environment_id', 'text')
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('pepper_version', 'integer', (c) => c.notNull())
        .addColumn(timestamps[0], 'text', (c) => c.notNull())
        .addColumn(timestamps[1], 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .execute();
      await db.schema.createIndex('api_keys_page').on('api_keys').columns(['created_at', 'id']).execute();
      await db.schema
        .createIndex('api_keys_owner_page')
        .on('api_keys')
        .columns(['owner_id', 'created_at', 'id'])
        .execute();
      await db.schema
        .createIndex('api_keys_resource_page')
        .on('api_keys')
        .columns(['resource_id', 'created_at', 'id'])
        .execute();
      await db.schema.createIndex('api_keys_environment').on('api_keys').column('resource_environment_id').execute();

      await db.schema
        .createTable('role_bindings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('role_name', 'text', (c) => c.notNull())
        .addColumn('crn_pattern', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('role_bindings_principal').on('role_bindings').column('principal').execute();
    },
  },
  '0002_quota_count_indexes': {
    // Quota checks count an owner's keys by scope kind, and the organization's Cloud keys, on
    // every create; these indexes cover both counts so they read no table rows.
    async up(db: Db) {
      await db.schema.createIndex('api_keys_owner_scope').on('api_keys').columns(['owner_id', 'scope_kind']).execute();
      await db.schema.createIndex('api_keys_scope').on('api_keys').column('scope_kind').execute();
    },
  },
  '0003_notifications': {
    async up(db: Db) {
      await db.schema
        .createTable('notifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notifications_page').on('notifications').columns(['channel', 'created_at', 'id']).execute();
      await db.schema.createIndex('notifications_age').on('notifications').column('created_at').execute();
    },
  },
  '0004_counters': {
    // Quota usage becomes counters kept by the transactions that create and remove things, so
    // that a create costs the same however many keys exist. The backfill counts what is there,
    // by the rules of that moment: Cloud and Global keys are "cloud" keys, every other scope a
    // "cluster" key; Kafka keys also count against their cluster.
    async up(db: Db) {
      await db.schema
        .createTable('counters')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('value', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('counters_page').on('counters').columns(['created_at', 'id']).execute();
      const now = new Date().toISOString();
      const management = sql`('Cloud', 'Global')`;
      const perOwner = (code: string, kind: string, cloud: boolean) => sql`
        insert into counters (id, value, created_at)
        select ${`quota:${code}:`} || owner_id, count(*), ${now} from api_keys
        where owner_kind = ${kind} and scope_kind ${cloud ? sql`in` : sql`not in`} ${management}
        group by owner_id`;
      const perOrg = (code: string, counted: ReturnType<typeof sql>) => sql`
        insert into counters (id, value, created_at)
        select ${`quota:${code}:`} || o.id, (${counted}), ${now} from organizations o
        where (${counted}) > 0`;
      for (const statement of [
        perOwner('iam.max_cloud_api_keys.per_user', 'User', true),
        perOwner('iam.max_cluster_api_keys.per_user', 'User', false),
        perOwner('iam.max_cloud_api_keys.per_service_account', 'ServiceAccount', true),
        perOwner('iam.max_cluster_api_keys.per_service_account', 'ServiceAccount', false),
        perOrg('iam.max_cloud_api_keys.per_org', sql`select count(*) from api_keys where scope_kind in ${management}`),
        perOrg('iam.max_service_accounts.per_org', sql`select count(*) from service_accounts`),
        perOrg('iam.max_environments.per_org', sql`select count(*) from environments`),
        sql`
          insert into counters (id, value, created_at)
          select ${'quota:kafka.max_api_keys.per_cluster:'} || resource_id, count(*), ${now} from api_keys
          where scope_kind = 'Cluster' group by resource_id`,
      ]) {
        await statement.execute(db);
      }
    },
  },
  '0005_kafka_acls': {
    // Kafka ACLs per cluster; a role binding may exist once per principal, role and pattern.
    async up(db: Db) {
      await db.schema
        .createTable('kafka_acls')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cluster_id', 'text', (c) => c.notNull())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('resource_name', 'text', (c) => c.notNull())
        .addColumn('pattern_type', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('permission', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('kafka_acls_rule', [
          'cluster_id',
          'principal',
          'resource_type',
          'resource_name',
          'pattern_type',
          'operation',
          'host',
          'permission',
        ])
        .execute();
      await db.schema.createIndex('kafka_acls_page').on('kafka_acls').columns(['cluster_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('kafka_acls_principal').on('kafka_acls').column('principal').execute();
      await db.schema
        .createIndex('role_bindings_rule')
        .on('role_bindings')
        .columns(['principal', 'role_name', 'crn_pattern'])
        .unique()
        .execute();
      await db.schema.createIndex('role_bindings_page').on('role_bindings').columns(['created_at', 'id']).execute();
    },
  },
  '0006_audit': {
    // The audit log: one hash chain per node (audit_chains holds each chain's head), events
    // ordered within a chain by created_at and then id, which embeds the sequence number.
    async up(db: Db) {
      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('chain_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('principal', 'text')
        .addColumn('key_id', 'text')
        .addColumn('resource_name', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('audit_events_link', ['chain_id', 'seq'])
        .execute();
      await db.schema.createIndex('audit_events_page').on('audit_events').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('audit_events_chain').on('audit_events').columns(['chain_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('audit_events_key').on('audit_events').columns(['key_id', 'created_at']).execute();
      await db.schema.createIndex('audit_events_principal').on('audit_events').columns(['principal', 'created_at']).execute();
      await db.schema
        .createTable('audit_chains')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('mac', 'text', (c) => c.notNull())
        .addColumn('last_event_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0007_in_use_guard': {
    // The organization's in-use guard (refuse deleting a principal whose keys were used lately
    // without ?force=true): 0 or 1, off by default so Confluent's clients keep their 204.
    async up(db: Db) {
      await db.schema
        .alterTable('organizations')
        .addColumn('in_use_guard', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  '0008_leak_policy': {
    // What a leak report does to a live key: 'revoke' (delete it at once, the default) or 'notify'
    // (record the report and leave the key working).
    async up(db: Db) {
      await db.schema
        .alterTable('organizations')
        .addColumn('leak_policy', 'text', (c) => c.notNull().defaultTo('revoke'))
        .execute();
      // A leak report carries a secret and nothing else: its key is found by the secret's hash.
      await db.schema.createIndex('api_keys_secret_hash').on('api_keys').columns(['secret_hash']).execute();
    },
  },
  '0009_console': {
    // Console sign-in: a password hash per user, one-time invitation links, and sessions.
    async up(db: Db) {
      await db.schema.alterTable('users').addColumn('password_hash', 'text').execute();
      await db.schema.alterTable('invitations').addColumn('link_hash', 'text').execute();
      await db.schema
        .createTable('console_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('console_sessions_user').on('console_sessions').columns(['user_id']).execute();
    },
  },
};
