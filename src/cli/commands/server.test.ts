import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyplane } from '../../../test/support/cli.js';
import { unlimited } from '../../../test/support/harness.js';
import { loadConfig } from '../../config.js';
import { createLogger } from '../../logger.js';
import { createKeyplane } from '../../server.js';
import { openDatabase } from '../database-access.js';
import type { CliIo } from '../io.js';
import { run as runCli } from '../main.js';
import { repoRoot } from '../../../test/support/process.js';

const root = mkdtempSync(join(tmpdir(), 'keyplane-server-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('keyplane server start', () => {
  it('shows the first admin secret on a terminal, once, and saves it', async () => {
    const dataDir = join(root, 'tty');
    // util-linux `script` gives the server a terminal for its standard output.
    const command = `${process.execPath} bin/keyplane.js server start --port 0 --data-dir ${dataDir}`;
    const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: root, TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no listening line: ${out}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"msg":"listening"')) {
          clearTimeout(timer);
          done();
        }
      });
    });
    child.stdin!.write('\u0003');
    await new Promise((done) => child.on('close', done));
    const secret = /KEYPLANE_API_SECRET=(\S+)/.exec(readFileSync(join(dataDir, 'initial-admin.txt'), 'utf8'))![1]!;
    expect(out).toContain(`API Secret: ${secret}`);
    const password = /KEYPLANE_ADMIN_PASSWORD=(\S+)/.exec(readFileSync(join(dataDir, 'initial-admin.txt'), 'utf8'))![1]!;
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(out).toContain(`Password:   ${password}`);
    expect(out).toContain('Console sign-in at http://127.0.0.1:');
    expect(out).toContain('It will not be printed again.');
  });

  it('hands over the first admin key even when it then cannot listen', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const { port } = blocker.address() as { port: number };
    try {
      const dataDir = join(root, 'busy');
      const start = await keyplane(['server', 'start', '--port', String(port), '--data-dir', dataDir], { home: root });
      expect(start.code).toBe(1);
      expect(start.stderr).toBe(`keyplane: error: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`);
      expect(readFileSync(join(dataDir, 'initial-admin.txt'), 'utf8')).toMatch(/KEYPLANE_API_SECRET=cflt/);
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  });
});

describe('keyplane server set-password', () => {
  const dataDir = join(root, 'recovery');
  const env = { KEYPLANE_DATA_DIR: dataDir, ...unlimited };

  async function run(args: string[], stdin?: string) {
    const out = { stdout: '', stderr: '' };
    const io: CliIo = {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
      env: { KEYPLANE_DATA_DIR: dataDir },
      ...(stdin === undefined ? {} : { readStdin: async () => stdin }),
    };
    return { code: await runCli(['server', 'set-password', ...args], io), ...out };
  }

  async function signIn(email: string, password: string): Promise<number> {
    const server = await createKeyplane(loadConfig(env), createLogger('silent'));
    try {
      const res = await server.app.request('http://keyplane.test/console/v1/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      return res.status;
    } finally {
      await server.close();
    }
  }

  it("sets a user's password from standard input and ends the user's sessions", async () => {
    const first = await createKeyplane(loadConfig(env), createLogger('silent'));
    const { adminEmail, adminId } = first.initialCredentials!;
    await first.services.store.insert('consoleSessions', {
      id: 'stale-session',
      userId: adminId,
      createdAt: new Date().toISOString(),
      lastSeenAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await first.close();

    const password = 'recovered password 1';
    const set = await run(['--email', adminEmail.toUpperCase()], `${password}\n`);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toBe(`Password set for ${adminEmail} (${adminId}); their console sessions have ended.\n`);
    expect(set.stdout).not.toContain(password);
    expect(await signIn(adminEmail, password)).toBe(200);
    const json = await run(['--email', adminEmail, '-o', 'json'], 'another password 2');
    expect(JSON.parse(json.stdout)).toEqual({ id: adminId, email: adminEmail });
    const store = await openDatabase(`sqlite:${join(dataDir, 'keyplane.db')}`, 'the database');
    try {
      expect(await store.get('consoleSessions', 'stale-session')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('refuses a short password, an unknown email and a missing password, repeating no password', async () => {
    const short = await run(['--email', 'admin@keyplane.local'], 'tiny-secret');
    expect(short.code).toBe(2);
    expect(short.stderr).toBe('keyplane: error: the password must be 12 to 256 characters long\n');
    const unknown = await run(['--email', 'nobody@example.com'], 'long enough password');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("keyplane: error: There is no user with the email 'nobody@example.com'\n");
    const none = await run(['--email', 'admin@keyplane.local']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no password given');
  });

  it('refuses a data directory without a database, and creates none there', async () => {
    const wrong = join(root, 'mistyped');
    const res = await run(['--email', 'admin@keyplane.local', '--data-dir', wrong], 'long enough password');
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `keyplane: error: there is no database at ${join(wrong, 'keyplane.db')}; give the data directory the server uses with --data-dir or KEYPLANE_DATA_DIR\n`,
    );
    expect(existsSync(wrong)).toBe(false);
  });
});

