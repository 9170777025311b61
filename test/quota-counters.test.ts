import BetterSqlite3 from 'better-sqlite3';
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quotaDefinitions } from '../src/domain/quotas.js';
import { managementScopeKinds, resourceScopeKinds } from '../src/domain/resources.js';
import { migrations } from '../src/storage/migrations/index.js';
import type { Store } from '../src/storage/store.js';
import { startTestKeyplane, type TestKeyplane, testBackend } from './support/harness.js';
import { createTestSchema } from './support/postgres.js';

/**
 * What every quota counter must hold: the objects counted afresh from the rows. Counters are
 * kept by many paths (create, delete, and deletes that cascade from owners, clusters and
 * environments); this recount is the one definition they must all agree with.
 */
async function recount(store: Store, orgId: string): Promise<Record<string, number>> {
  const expected: Record<string, number> = {};
  const put = (code: string, scope: string, n: number) => {
    if (n > 0) expected[`quota:${code}:${scope}`] = n;
  };
  const all = async <T>(list: (after?: { createdAt: string; id: string }) => Promise<{ items: T[]; next?: { createdAt: string; id: string } }>) => {
    const rows: T[] = [];
    let after: { createdAt: string; id: string } | undefined;
    do {
      const page = await list(after);
      rows.push(...page.items);
      after = page.next;
    } while (after);
    return rows;
  };
  const users = await all((after) => store.list('users', {}, { limit: 100, after }));
  const accounts = await all((after) => store.list('serviceAccounts', {}, { limit: 100, after }));
  const clusters = await all((after) => store.list('resources', { type: 'kafka' }, { limit: 100, after }));
  for (const u of users) {
    put('iam.max_cloud_api_keys.per_user', u.id, await store.count('apiKeys', { ownerId: u.id, scopeKind: managementScopeKinds }));
    put('iam.max_cluster_api_keys.per_user', u.id, await store.count('apiKeys', { ownerId: u.id, scopeKind: resourceScopeKinds }));
  }
  for (const sa of accounts) {
    put('iam.max_cloud_api_keys.per_service_account', sa.id, await store.count('apiKeys', { ownerId: sa.id, scopeKind: managementScopeKinds }));
    put('iam.max_cluster_api_keys.per_service_account', sa.id, await store.count('apiKeys', { ownerId: sa.id, scopeKind: resourceScopeKinds }));
  }
  for (const c of clusters) put('kafka.max_api_keys.per_cluster', c.id, await store.count('apiKeys', { resourceId: c.id, scopeKind: 'Cluster' }));
  put('iam.max_cloud_api_keys.per_org', orgId, await store.count('apiKeys', { scopeKind: managementScopeKinds }));
  put('iam.max_service_accounts.per_org', orgId, await store.count('serviceAccounts', {}));
  put('iam.max_environments.per_org', orgId, await store.count('environments', {}));
  return expected;
}

async function counters(store: Store): Promise<Record<string, number>> {
  const page = await store.list('counters', {}, { limit: 1000 });
  return Object.fromEntries(page.items.map((c) => [c.id, c.value]));
}

describe('quota counters', () => {
  let kp: TestKeyplane;
  beforeAll(async () => {
    kp = await startTestKeyplane();
  });
  afterAll(() => kp.close());

  const post = async (path: string, body: unknown, status: number) => {
    const res = await kp.call('POST', path, { body });
    expect(res.status, res.text).toBe(status);
    return res.body;
  };
  const remove = async (path: string) => expect((await kp.call('DELETE', path)).status).toBe(204);

  it('match a recount after creates and every kind of delete, cascades included', async () => {
    const { store, orgId } = kp.keyplane.services;
    expect(await counters(store)).toEqual(await recount(store, orgId));

    const envs = [await post('/org/v2/environments', { display_name: 'e1' }, 201), await post('/org/v2/environments', { display_name: 'e2' }, 201)];
    const cluster = (name: string, env: string) =>
      post('/cmk/v2/clusters', { spec: { display_name: name, cloud: 'aws', region: 'us-east-1', availability: 'SINGLE_ZONE', config: { kind: 'Basic' }, environment: { id: env } } }, 202);
    const c1 = await cluster('c1', envs[0].id);
    const c2 = await cluster('c2', envs[1].id);
    const sas = await Promise.all(['a', 'b', 'c'].map((n) => post('/iam/v2/service-accounts', { display_name: `sa-${n}` }, 201)));
    const user = (await post('/iam/v2/invitations', { email: 'counted@example.com' }, 201)).user.id as string;
    const key = (owner: string, resource?: string, environment?: string) =>
      post('/iam/v2/api-keys', { spec: { owner: { id: owner }, ...(resource ? { resource: { id: resource, ...(environment ? { environment } : {}) } } : {}) } }, 202);
    const keys = [];
    for (const owner of [...sas.map((s) => s.id), user, kp.admin.userId]) {
      keys.push(await key(owner));
      keys.push(await key(owner, c1.id));
      keys.push(await key(owner, c2.id));
      keys.push(await key(owner, 'aws.us-east-1', envs[0].id));
    }
    expect(await counters(store)).toEqual(await recount(store, orgId));

    await remove(`/iam/v2/api-keys/${keys[0].id}`);
    await remove(`/iam/v2/service-accounts/${sas[1].id}`);
    await remove(`/cmk/v2/clusters/${c2.id}?environment=${envs[1].id}`);
    await remove(`/iam/v2/users/${user}`);
    expect(await counters(store)).toEqual(await recount(store, orgId));
    await remove(`/org/v2/environments/${envs[0].id}`);
    const after = await counters(store);
    expect(after).toEqual(await recount(store, orgId));
    expect(Object.keys(after).length).toBeGreaterThan(3);
  });
});

describe('the counters migration', () => {
  it('counts what a database already holds', async () => {
    // A database at the migration before counters existed, with keys of every kind in it.
    const { db, schema, drop } = await freshKysely();
    try {
      const before = Object.keys(migrations).sort().filter((name) => name < '0004_counters');
      // Named, so that Kysely does not take another schema's bookkeeping tables for this one's.
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, ...(schema ? { migrationTableSchema: schema } : {}) });
      const { error } = await migrator.migrateTo(before.at(-1)!);
      if (error) throw error;
      const at = '2026-01-01T00:00:00.000Z';
      const stamp = { createdAt: at, updatedAt: at };
      await db.insertInto('organizations').values({ id: 'org-1', displayName: 'o', ...stamp }).execute();
      await db.insertInto('environments').values([1, 2].map((n) => ({ id: `env-${n}`, displayName: `e${n}`, streamGovernancePackage: null, ...stamp }))).execute();
      await db.insertInto('serviceAccounts').values([1, 2, 3].map((n) => ({ id: `sa-${n}`, displayName: `s${n}`, description: '', ...stamp }))).execute();
      const key = (id: string, ownerId: string, scopeKind: string, resourceId: string) => ({
        id,
        ownerId,
        ownerKind: ownerId.startsWith('u-') ? 'User' : 'ServiceAccount',
        scopeKind,
        resourceId,
        resourceEnvironmentId: null,
        displayName: '',
        description: '',
        secretHash: 'h',
        pepperVersion: 1,
        lastUsedAt: null,
        ...stamp,
      });
      await db
        .insertInto('apiKeys')
        .values([
          key('K1', 'u-1', 'Cloud', 'cloud'),
          key('K2', 'u-1', 'Global', 'global'),
          key('K3', 'u-1', 'Cluster', 'lkc-1'),
          key('K4', 'sa-1', 'Cluster', 'lkc-1'),
          key('K5', 'sa-1', 'SchemaRegistry', 'lsrc-1'),
          key('K6', 'sa-2', 'Cloud', 'cloud'),
          key('K7', 'sa-2', 'Cluster', 'lkc-2'),
        ])
        .execute();
      const done = await migrator.migrateToLatest();
      if (done.error) throw done.error;
      const rows = await db.selectFrom('counters').select(['id', 'value']).execute();
      expect(Object.fromEntries(rows.map((r) => [r.id, Number(r.value)]))).toEqual({
        'quota:iam.max_cloud_api_keys.per_user:u-1': 2,
        'quota:iam.max_cluster_api_keys.per_user:u-1': 1,
        'quota:iam.max_cluster_api_keys.per_service_account:sa-1': 2,
        'quota:iam.max_cloud_api_keys.per_service_account:sa-2': 1,
        'quota:iam.max_cluster_api_keys.per_service_account:sa-2': 1,
        'quota:iam.max_cloud_api_keys.per_org:org-1': 3,
        'quota:kafka.max_api_keys.per_cluster:lkc-1': 2,
        'quota:kafka.max_api_keys.per_cluster:lkc-2': 1,
        'quota:iam.max_service_accounts.per_org:org-1': 3,
        'quota:iam.max_environments.per_org:org-1': 2,
      });
      // Every quota the definitions name has a rule in the backfill.
      const codes = new Set(rows.map((r) => r.id.split(':')[1]));
      expect([...codes].sort()).toEqual(quotaDefinitions.map((q) => q.code).sort());
    } finally {
      await drop();
    }
  });
});

async function freshKysely(): Promise<{ db: Kysely<any>; schema?: string; drop: () => Promise<void> }> {
  if (testBackend === 'sqlite') {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }), plugins: [new CamelCasePlugin()] });
    return { db, drop: () => db.destroy() };
  }
  const schema = await createTestSchema();
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: schema.url, max: 1 }) }), plugins: [new CamelCasePlugin()] });
  return {
    db,
    schema: schema.name,
    drop: async () => {
      await db.destroy();
      await schema.drop();
    },
  };
}
