import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createTestSchema, describePostgres, type TestSchema } from '../../../test/support/postgres.js';
import { migrations } from '../migrations/index.js';
import { describeStoreContract } from '../store-contract.js';
import { openPostgresStore } from './open-postgres.js';

/** A migrated store in a schema of its own; closing it drops the schema. */
async function openFresh() {
  const schema = await createTestSchema();
  const store = await openPostgresStore(schema.url);
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await schema.drop();
  };
  return store;
}

await describePostgres('PostgreSQL store', () => {
  describeStoreContract('postgres', openFresh);

  const schemas: TestSchema[] = [];
  afterEach(async () => {
    await Promise.all(schemas.splice(0).map((s) => s.drop()));
  });

  it('runs each migration once when several nodes start on an empty database together', async () => {
    const schema = await createTestSchema();
    schemas.push(schema);
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(schema.url)));
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      const applied = await client.query<{ name: string }>('select name from kysely_migration order by name');
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
      const tables = await client.query<{ n: string }>(
        'select count(*) as n from information_schema.tables where table_schema = current_schema()',
      );
      expect(Number(tables.rows[0]?.n)).toBeGreaterThan(Object.keys(migrations).length);
    } finally {
      await client.end();
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("delivers one node's published messages to another node over LISTEN/NOTIFY, committed ones only", async () => {
    const schema = await createTestSchema();
    schemas.push(schema);
    const [a, b] = await Promise.all([openPostgresStore(schema.url), openPostgresStore(schema.url)]);
    try {
      const heard: string[] = [];
      let resolveHeard: () => void = () => {};
      const arrived = new Promise<void>((resolve) => {
        resolveHeard = resolve;
      });
      b.subscribe('keys', {
        onMessage: (p) => {
          heard.push(p);
          if (p === 'committed') resolveHeard();
        },
      });
      // The listener connects in the background; a message sent before it listens is missed by design.
      await new Promise((r) => setTimeout(r, 300));
      await expect(
        a.transaction(async (tx) => {
          await tx.publish({ id: 'n0', channel: 'keys', payload: 'rolled-back', createdAt: '2026-01-01T00:00:00.000Z' });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      await a.publish({ id: 'n1', channel: 'keys', payload: 'committed', createdAt: '2026-01-01T00:00:01.000Z' });
      await arrived;
      expect(heard).toEqual(['committed']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps schemas in one database apart', async () => {
    const [one, two] = await Promise.all([createTestSchema(), createTestSchema()]);
    schemas.push(one, two);
    const [a, b] = await Promise.all([openPostgresStore(one.url), openPostgresStore(two.url)]);
    try {
      await a.insert('serviceAccounts', {
        id: 'sa-1',
        displayName: 'only in one',
        description: '',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      });
      expect(await a.count('serviceAccounts', {})).toBe(1);
      expect(await b.count('serviceAccounts', {})).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
