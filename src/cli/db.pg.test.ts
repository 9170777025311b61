import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createTestSchema, describePostgres, type TestSchema } from '../../test/support/postgres.js';
import { repoRoot, startServer } from '../../test/support/process.js';
import { newApiKeyId } from '../domain/ids.js';
import { newSecret } from '../domain/secret.js';
import { countCopiedTables } from '../services/database-copy.js';
import { migrations } from '../storage/migrations/index.js';
import { openPostgresStore } from '../storage/postgres/open-postgres.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/keyplane.js …` as a user runs it, with no KEYPLANE_* variables but those given. */
function keyplane(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, ['bin/keyplane.js', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => {
    run.stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    run.stderr += d.toString();
  });
  return new Promise((done) =>
    child.on('close', (code) => {
      run.code = code;
      done(run);
    }),
  );
}

interface Credentials {
  key: string;
  secret: string;
}

function basic({ key, secret }: Credentials): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

async function call(base: string, who: Credentials, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: basic(who), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  // Links carry the server's address, which differs between the two servers compared below.
  return { status: res.status, body: JSON.parse((await res.text()).replaceAll(base, 'http://keyplane')) };
}

async function rowCounts(url: string) {
  const store = await openPostgresStore(url, { migrate: false });
  try {
    return await countCopiedTables(store);
  } finally {
    await store.close();
  }
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

await describePostgres('keyplane db, run as a process', () => {
  const admin: Credentials = { key: newApiKeyId(randomBytes), secret: newSecret(randomBytes) };
  const dataDir = mkdtempSync(join(tmpdir(), 'keyplane-cli-'));
  const newDataDir = mkdtempSync(join(tmpdir(), 'keyplane-cli-'));
  const sqliteFile = join(dataDir, 'keyplane.db');
  const pepperFile = join(dataDir, 'pepper.json');
  const schemas: TestSchema[] = [];
  let copiedInto: TestSchema | undefined;

  afterAll(async () => {
    await Promise.all(schemas.map((s) => s.drop()));
    for (const dir of [dataDir, newDataDir]) rmSync(dir, { recursive: true, force: true });
  });

  type KeyList = { data: Array<{ id: string; spec: Record<string, unknown> }> };
  const withoutLastUse = (list: KeyList) => ({ ...list, data: list.data.map((k) => ({ ...k, spec: { ...k.spec, last_used_at: undefined } })) });

  it('copies a SQLite database into PostgreSQL, where the existing keys and secrets keep working', async () => {
    const old = await startServer({ KEYPLANE_DATA_DIR: dataDir, KEYPLANE_BOOTSTRAP_KEY: admin.key, KEYPLANE_BOOTSTRAP_SECRET: admin.secret });
    let app: Credentials;
    let keysBefore: unknown;
    try {
      const sa = await call(old.url, admin, 'POST', '/iam/v2/service-accounts', { display_name: 'orders-app', description: 'prod' });
      expect(sa.status).toBe(201);
      const created = await call(old.url, admin, 'POST', '/iam/v2/api-keys', {
        spec: { owner: { id: sa.body.id }, description: 'orders producer' },
      });
      expect(created.status).toBe(202);
      app = { key: created.body.id, secret: created.body.spec.secret };
      keysBefore = (await call(old.url, admin, 'GET', '/iam/v2/api-keys')).body;
    } finally {
      expect(await old.stop()).toBe(0);
    }
    const sourceHash = sha256(sqliteFile);
    copiedInto = await createTestSchema();
    schemas.push(copiedInto);

    const copy = await keyplane(['db', 'copy', '--from', sqliteFile, '--to', copiedInto.url, '--yes']);

    expect(copy.code, copy.stderr).toBe(0);
    expect(copy.stderr).toBe('');
    expect(copy.stdout).toMatch(/^ {2}api_keys +2\/2$/m);
    expect(copy.stdout).toMatch(/^ {2}api_keys +2 +2 +ok$/m);
    expect(copy.stdout).toMatch(/^ {2}service_accounts +1 +1 +ok$/m);
    expect(copy.stdout).toMatch(/^ {2}organizations +1 +1 +ok$/m);
    expect(copy.stdout).toContain('All 12 tables match');
    expect(copy.stdout).toContain(`KEYPLANE_PEPPER_FILE=${pepperFile}`);
    for (const secret of [admin.secret, app.secret]) expect(copy.stdout).not.toContain(secret);
    expect(sha256(sqliteFile), 'the source database file is unchanged').toBe(sourceHash);

    // A new node: a data directory of its own, the copied database and the old pepper file.
    const moved = await startServer({ KEYPLANE_DATA_DIR: newDataDir, KEYPLANE_DATABASE_URL: copiedInto.url, KEYPLANE_PEPPER_FILE: pepperFile });
    try {
      expect(moved.stdout()).not.toContain('created its organization');
      for (const who of [admin, app]) {
        const res = await fetch(`${moved.url}/iam/v2/api-keys`, { headers: { authorization: basic(who) } });
        expect(res.status, `${who.key} authenticates after the move`).toBe(200);
      }
      const wrong = await fetch(`${moved.url}/iam/v2/api-keys`, { headers: { authorization: basic({ ...app, secret: admin.secret }) } });
      expect(wrong.status).toBe(401);
      // The old node wrote the admin key's last use as it stopped: nothing it held was lost.
      const after = (await call(moved.url, admin, 'GET', '/iam/v2/api-keys')).body as KeyList;
      const adminKey = after.data.find((k) => k.id === admin.key)!;
      expect(adminKey.spec.last_used_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
      expect(withoutLastUse(after)).toEqual(withoutLastUse(keysBefore as KeyList));
    } finally {
      expect(await moved.stop()).toBe(0);
    }
  }, 90_000);

  it('refuses to copy into a database that is not empty, and changes nothing in it', async () => {
    expect(copiedInto, 'the previous test copied into this schema').toBeDefined();
    const url = copiedInto!.url;
    const before = await rowCounts(url);

    const again = await keyplane(['db', 'copy', '--from', sqliteFile, '--to', url, '--yes']);

    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^keyplane: error: the destination postgres:\/\/\S+ is not empty \(organizations 1, .*api_keys 2.*\); nothing was copied; /);
    expect(again.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(await rowCounts(url)).toEqual(before);
  }, 30_000);

  it('db migrate applies the migrations to a new schema, then finds it up to date, never printing the password', async () => {
    const schema = await createTestSchema();
    schemas.push(schema);
    const url = new URL(schema.url);
    url.password = 'never-printed-pw-7731';
    const names = Object.keys(migrations);

    const first = await keyplane(['db', 'migrate', '--database-url', url.toString()]);
    const second = await keyplane(['db', 'migrate'], { KEYPLANE_DATABASE_URL: url.toString() });

    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('postgres://postgres:****@127.0.0.1');
    expect(first.stdout).toContain(`Applied ${names.length} migrations:\n${names.map((n) => `  ${n}\n`).join('')}`);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`Already up to date (${names.length} of ${names.length} migrations applied)`);
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain('never-printed-pw-7731');
  }, 30_000);

  it('prints help, and exits 2 on an unknown option or a missing one', async () => {
    const [help, copyHelp, unknown, missing] = await Promise.all([
      keyplane(['--help']),
      keyplane(['db', 'copy', '--help']),
      keyplane(['db', 'copy', '--from', 'x.db', '--to', 'postgres://127.0.0.1/test', '--bogus']),
      keyplane(['db', 'copy', '--from', 'x.db']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: keyplane /);
    expect(help.stdout).toMatch(/^ {2}db +/m);
    expect(copyHelp.code).toBe(0);
    for (const option of ['--from <sqlite>', '--to <url>', '--yes', 'KEYPLANE_PEPPER_FILE']) expect(copyHelp.stdout).toContain(option);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`keyplane: error: unknown option '--bogus'; see "keyplane db copy --help"\n`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^keyplane: error: required option '--to <url>' not specified/);
  }, 30_000);
});
