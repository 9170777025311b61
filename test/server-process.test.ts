import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { basic } from './support/harness.js';
import { runServer, startServer } from './support/process.js';

const DOCS_EXAMPLE = 'cfltT8d8RzkNseTMEDKcjNM1BZTFPHqRn/dQm9q7w6SjzZ12wZfwjaJdipHZtDjw';

function logLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('{'));
}

// The server as a user runs it: a real process, a real port, a data directory on disk.
describe('keyplane server process', () => {
  it('bootstraps on first start, prints the admin key once, and not again on the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyplane-proc-'));
    const first = await startServer({ KEYPLANE_DATA_DIR: dataDir });
    const file = join(dataDir, 'initial-admin.txt');
    const saved = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = /KEYPLANE_API_KEY=(\w+)/.exec(saved)![1]!;
    const secret = /KEYPLANE_API_SECRET=(\S+)/.exec(saved)![1]!;
    // Standard output is a pipe here, that is, a log: the secret is only in the file.
    expect(first.stdout()).not.toContain(secret);
    expect(first.stdout()).toContain(`API Key:    ${key}`);
    expect(first.stdout()).toContain(`Its secret is in ${file} (mode 0600)`);
    const email = /KEYPLANE_ADMIN_EMAIL=(\S+)/.exec(saved)![1]!;
    const password = /KEYPLANE_ADMIN_PASSWORD=(\S+)/.exec(saved)![1]!;
    expect(email).toBe('admin@keyplane.local');
    expect(first.stdout()).not.toContain(password);
    const signIn = await fetch(`${first.url}/console/v1/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get('set-cookie')).toMatch(/^keyplane_session=.*HttpOnly/);

    const res = await fetch(`${first.url}/iam/v2/api-keys`, { headers: { authorization: basic(key, secret) } });
    expect(res.status).toBe(200);
    const unauth = await fetch(`${first.url}/iam/v2/api-keys`);
    expect(unauth.status).toBe(401);
    expect(unauth.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await first.stop()).toBe(0);
    const lines = logLines(first.stdout());
    expect(lines.some((l) => l.includes('"msg":"request"'))).toBe(true);
    expect(lines.filter((l) => l.includes(secret) || l.includes(password))).toEqual([]);

    const second = await startServer({ KEYPLANE_DATA_DIR: dataDir });
    expect(second.stdout()).not.toContain(secret);
    expect(second.stdout()).not.toContain('API Secret');
    expect(second.stdout()).not.toContain(password);
    expect(second.stdout()).not.toContain('no user has a console password yet');
    const again = await fetch(`${second.url}/iam/v2/api-keys`, { headers: { authorization: basic(key, secret) } });
    expect(((await again.json()) as { metadata: { total_size: number } }).metadata.total_size).toBe(1);
    expect(await second.stop()).toBe(0);
  });

  it('says how to set a console password when no user has one, as after an upgrade', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyplane-proc-'));
    const first = await startServer({ KEYPLANE_DATA_DIR: dataDir });
    expect(await first.stop()).toBe(0);
    // A database from before the console: nobody has a password.
    const db = new Database(join(dataDir, 'keyplane.db'));
    db.prepare('update users set password_hash = null').run();
    db.close();
    const again = await startServer({ KEYPLANE_DATA_DIR: dataDir });
    expect(await again.stop()).toBe(0);
    const warning = logLines(again.stdout()).find((l) => l.includes('no user has a console password yet'));
    expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', hint: expect.stringContaining('keyplane server set-password --email admin@keyplane.local') });
  });

  it('takes the first admin key from KEYPLANE_BOOTSTRAP_KEY and _SECRET without printing the secret', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyplane-proc-'));
    const server = await startServer({
      KEYPLANE_DATA_DIR: dataDir,
      KEYPLANE_BOOTSTRAP_KEY: 'BOOTSTRAPKEY0001',
      KEYPLANE_BOOTSTRAP_SECRET: DOCS_EXAMPLE,
    });
    expect(server.stdout()).not.toContain(DOCS_EXAMPLE);
    const ok = await fetch(`${server.url}/iam/v2/api-keys/BOOTSTRAPKEY0001`, {
      headers: { authorization: basic('BOOTSTRAPKEY0001', DOCS_EXAMPLE) },
    });
    expect(ok.status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it('takes the first admin password from KEYPLANE_BOOTSTRAP_PASSWORD, neither printed nor saved', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyplane-proc-'));
    const password = 'chosen admin password';
    const server = await startServer({ KEYPLANE_DATA_DIR: dataDir, KEYPLANE_BOOTSTRAP_PASSWORD: password });
    expect(server.stdout()).not.toContain(password);
    expect(server.stdout()).toContain('Password:   from KEYPLANE_BOOTSTRAP_PASSWORD');
    const saved = readFileSync(join(dataDir, 'initial-admin.txt'), 'utf8');
    expect(saved).not.toContain(password);
    expect(saved).toMatch(/KEYPLANE_API_SECRET=cflt/);
    const signIn = await fetch(`${server.url}/console/v1/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@keyplane.local', password }),
    });
    expect(signIn.status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it('refuses a bootstrap password shorter than 12 characters without repeating it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyplane-proc-'));
    const { out, exited } = runServer({ KEYPLANE_DATA_DIR: dataDir, KEYPLANE_BOOTSTRAP_PASSWORD: 'too-short' });
    expect(await exited).toBe(2);
    expect(out.stderr).toContain('KEYPLANE_BOOTSTRAP_PASSWORD must be 12 to 256 characters long');
    expect(out.stderr).not.toContain('too-short');
  });

  it('refuses an invalid bootstrap secret at start-up with a clear error and creates nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyplane-proc-'));
    const bad = `${DOCS_EXAMPLE.slice(0, 63)}x`;
    const { out, exited } = runServer({
      KEYPLANE_DATA_DIR: dataDir,
      KEYPLANE_BOOTSTRAP_KEY: 'BOOTSTRAPKEY0001',
      KEYPLANE_BOOTSTRAP_SECRET: bad,
    });
    expect(await exited).toBe(2);
    expect(out.stderr).toContain('KEYPLANE_BOOTSTRAP_SECRET is not a valid secret');
    expect(out.stderr).not.toContain(bad);
    expect(() => statSync(join(dataDir, 'keyplane.db'))).toThrow();
  });

  it('exits with a clear error, and without the password, when the database cannot be opened', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyplane-proc-'));
    // Port 1 on loopback refuses at once; nothing listens there.
    const { out, exited } = runServer({
      KEYPLANE_DATA_DIR: dataDir,
      KEYPLANE_DATABASE_URL: 'postgres://keyplane:hunter2-password@127.0.0.1:1/keyplane',
    });
    expect(await exited).toBe(1);
    expect(out.stderr).toContain('cannot open the PostgreSQL database at 127.0.0.1:1');
    expect(out.stderr).toContain('ECONNREFUSED');
    expect(out.stderr + out.stdout).not.toContain('hunter2-password');
    expect(out.stderr).not.toMatch(/\n\s+at /);
    const wrong = runServer({ KEYPLANE_DATA_DIR: dataDir, KEYPLANE_DATABASE_URL: 'mysql://db/keyplane' });
    expect(await wrong.exited).toBe(2);
    expect(wrong.out.stderr).toContain('must be sqlite:<path> or postgres://');
  });

  it('explains its flags and refuses unknown ones', async () => {
    const help = runServer({}, ['--help']);
    expect(await help.exited).toBe(0);
    expect(help.out.stdout).toContain('KEYPLANE_DATA_DIR');
    const bad = runServer({}, ['--bogus']);
    expect(await bad.exited).toBe(2);
    expect(bad.out.stderr).toContain('--bogus');
  });
});
