import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, it } from 'vitest';
import { createTestSchema, describePostgres, testDatabaseUrl } from '../../../test/support/postgres.js';
import { openPostgresStore } from './open-postgres.js';

await describePostgres('opening a PostgreSQL store', () => {
  it('migrates while other schemas of the database are created and dropped', async () => {
    // Another tenant's (or test's) schemas come and go during every migration's catalog read.
    const admin = new pg.Pool({ connectionString: testDatabaseUrl, max: 2 });
    let stop = false;
    let churned = 0;
    const churn = (async () => {
      while (!stop) {
        const name = `kp_churn_${randomBytes(4).toString('hex')}`;
        await admin.query(`create schema ${name}`);
        await admin.query(`create table ${name}.t (id int)`);
        await admin.query(`drop schema ${name} cascade`);
        churned++;
      }
    })();
    const failures: string[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        const schema = await createTestSchema();
        try {
          const store = await openPostgresStore(schema.url);
          await store.close();
        } catch (error) {
          failures.push((error as Error).message);
        } finally {
          await schema.drop();
        }
      }
    } finally {
      stop = true;
      await churn;
      await admin.end();
    }
    expect(churned).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
});
