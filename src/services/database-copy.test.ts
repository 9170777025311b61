import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../storage/sqlite/open-sqlite.js';
import type { Row, Store, TableName } from '../storage/store.js';
import { COPIED_TABLES, type CopyProgress, copyDatabase, countCopiedTables } from './database-copy.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';

const open: Store[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function fresh(): Promise<Store> {
  const store = await openSqliteStore(':memory:');
  open.push(store);
  return store;
}

/** A store with rows in every copied table; many keys share a timestamp, so paging must tie-break on id. */
async function populated(keys: number): Promise<Store> {
  const store = await fresh();
  const times = { createdAt: T0, updatedAt: T0 };
  await store.insert('organizations', { id: '7a3c1f2e-0000-4000-8000-000000000001', displayName: 'Keyplane', ...times });
  await store.insertMany('environments', [
    { id: 'env-aaaaaa', displayName: 'default', streamGovernancePackage: null, ...times },
    { id: 'env-bbbbbb', displayName: 'prod', streamGovernancePackage: 'ESSENTIALS', createdAt: T1, updatedAt: T1 },
  ]);
  await store.insert('users', { id: 'u-aaaaaa', email: 'admin@keyplane.local', fullName: 'Admin', authType: 'AUTH_TYPE_LOCAL', ...times });
  await store.insert('invitations', {
    id: 'i-aaaaaa',
    email: 'new@example.com',
    authType: 'AUTH_TYPE_LOCAL',
    status: 'INVITE_STATUS_SENT',
    userId: 'u-bbbbbb',
    creatorId: 'u-aaaaaa',
    expiresAt: T1,
    acceptedAt: null,
    ...times,
  });
  await store.insert('serviceAccounts', { id: 'sa-aaaaaa', displayName: 'orders', description: 'prod', ...times });
  await store.insert('resources', {
    id: 'lkc-aaaaaa',
    type: 'kafka',
    environmentId: 'env-bbbbbb',
    displayName: 'orders',
    cloud: 'AWS',
    region: 'us-east-1',
    attributes: '{"availability":"SINGLE_ZONE"}',
    createdAt: T1,
    updatedAt: T1,
  });
  await store.insertMany(
    'apiKeys',
    Array.from({ length: keys }, (_, i) => ({
      id: `KEY${String(keys - i).padStart(13, '0')}`,
      ownerId: 'sa-aaaaaa',
      ownerKind: 'ServiceAccount',
      scopeKind: i % 2 ? 'Cluster' : 'Cloud',
      resourceId: i % 2 ? 'lkc-aaaaaa' : 'cloud',
      resourceEnvironmentId: i % 2 ? 'env-bbbbbb' : null,
      displayName: `key ${i}`,
      description: '',
      secretHash: `hash-${i}`,
      pepperVersion: 1,
      createdAt: i < keys / 2 ? T0 : T1,
      updatedAt: T1,
      lastUsedAt: i % 3 ? null : T1,
    })),
  );
  await store.insert('roleBindings', { id: 'rb-aaaaa', principal: 'User:u-aaaaaa', roleName: 'OrganizationAdmin', crnPattern: 'crn://x', createdAt: T0 });
  return store;
}

async function allRows<T extends TableName>(store: Store, table: T): Promise<Row<T>[]> {
  const rows: Row<T>[] = [];
  let after: { createdAt: string; id: string } | undefined;
  do {
    const page = await store.list(table, {}, { limit: 500, after });
    rows.push(...page.items);
    after = page.next;
  } while (after);
  return rows;
}

describe('copyDatabase', () => {
  it('copies every table row for row, in pages, and verifies the counts', async () => {
    const source = await populated(250);
    const destination = await fresh();
    const progress: CopyProgress[] = [];

    const result = await copyDatabase(source, destination, { pageSize: 40, onProgress: (p) => progress.push(p) });

    expect(result).toMatchObject({ ok: true, verified: true });
    if (!result.ok) return;
    expect(result.tables.map((t) => t.table)).toEqual([...COPIED_TABLES]);
    expect(result.tables.find((t) => t.table === 'apiKeys')).toEqual({ table: 'apiKeys', source: 250, destination: 250 });
    for (const table of COPIED_TABLES) {
      expect(await allRows(destination, table), table).toEqual(await allRows(source, table));
    }
    const keySteps = progress.filter((p) => p.table === 'apiKeys');
    expect(keySteps.map((p) => p.copied)).toEqual([0, 40, 80, 120, 160, 200, 240, 250]);
    expect(keySteps.at(-1)).toEqual({ table: 'apiKeys', copied: 250, total: 250, done: true });
    expect(progress.filter((p) => p.done).map((p) => p.table)).toEqual([...COPIED_TABLES]);
  });

  it('refuses a destination that holds any rows, and writes nothing to it', async () => {
    const source = await populated(3);
    const destination = await fresh();
    await destination.insert('serviceAccounts', { id: 'sa-zzzzzz', displayName: 'already here', description: '', createdAt: T0, updatedAt: T0 });
    const progress: CopyProgress[] = [];

    const result = await copyDatabase(source, destination, { onProgress: (p) => progress.push(p) });

    expect(result).toEqual({ ok: false, reason: 'destination_not_empty', occupied: [{ table: 'serviceAccounts', rows: 1 }] });
    expect(progress).toEqual([]);
    expect((await countCopiedTables(destination)).filter((t) => t.rows > 0)).toEqual([{ table: 'serviceAccounts', rows: 1 }]);
  });

  it('refuses a source that was never set up', async () => {
    const result = await copyDatabase(await fresh(), await fresh());
    expect(result).toEqual({ ok: false, reason: 'source_empty' });
  });

  it('leaves the destination empty when the copy fails part-way', async () => {
    const source = await populated(10);
    const destination = await fresh();

    await expect(copyDatabase(source, failingOn(destination, 'apiKeys'))).rejects.toThrow('disk full');

    expect((await countCopiedTables(destination)).every((t) => t.rows === 0)).toBe(true);
    expect(await copyDatabase(source, destination)).toMatchObject({ ok: true, verified: true });
  });
});

/** The store, except that inserting into `table` fails, inside transactions too. */
function failingOn(store: Store, table: TableName): Store {
  const wrapper: Store = Object.create(store);
  wrapper.transaction = (fn) => store.transaction((tx) => fn(failingOn(tx, table)));
  wrapper.insertMany = async (t, rows) => {
    if (t === table) throw new Error('disk full');
    return store.insertMany(t, rows);
  };
  return wrapper;
}
