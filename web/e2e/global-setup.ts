import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { CHROMIUM } from './chromium';

const ROOT = resolve(import.meta.dirname, '../..');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A valid `cflt…` secret: 54 random characters and their CRC-32 checksum. */
function newSecret(): string {
  let body = '';
  for (let i = 0; i < 54; i++) body += ALNUM[randomInt(ALNUM.length)];
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc32(body));
  return `cflt${body}${sum.toString('base64').replace(/=+$/, '')}`;
}

function newKeyId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let id = '';
  for (let i = 0; i < 16; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

async function waitForServer(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`keyplane server exited with ${child.exitCode} before answering:\n${output()}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`keyplane server did not answer ${url}/healthz within 30 s:\n${output()}`);
}

/**
 * Starts one Keyplane server for the run, on a free port with a temporary data directory and
 * known admin credentials, which the specs read from the environment.
 */
export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  if (!existsSync(CHROMIUM)) {
    const reason = `${CHROMIUM} is missing (install Debian's chromium package)`;
    if (process.env.KEYPLANE_REQUIRE_CHROMIUM === '1') {
      throw new Error(`${reason}: KEYPLANE_REQUIRE_CHROMIUM=1, so the browser tests fail instead of skipping`);
    }
    console.warn(`${reason}: the browser tests are skipped`);
    process.env.KEYPLANE_E2E_SKIP = reason;
    return undefined;
  }
  const consoleDir = join(ROOT, 'dist/web');
  if (!existsSync(join(consoleDir, 'index.html'))) {
    throw new Error('dist/web/index.html is missing: run `npm run build` before the browser tests');
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'keyplane-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const credentials = {
    KEYPLANE_E2E_URL: url,
    KEYPLANE_E2E_KEY: newKeyId(),
    KEYPLANE_E2E_SECRET: newSecret(),
    KEYPLANE_E2E_EMAIL: 'admin@keyplane.local',
    KEYPLANE_E2E_PASSWORD: `e2e-${randomBytes(12).toString('base64url')}`,
  };
  let output = '';
  const child = spawn(process.execPath, [join(ROOT, 'bin/keyplane.js'), 'server', 'start'], {
    cwd: ROOT,
    // A server of its own: no KEYPLANE_* setting of the caller's (a PostgreSQL URL, a port) applies.
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('KEYPLANE_'))),
      KEYPLANE_DATA_DIR: dataDir,
      KEYPLANE_HOST: '127.0.0.1',
      KEYPLANE_PORT: String(port),
      KEYPLANE_PUBLIC_URL: url,
      KEYPLANE_LOG_LEVEL: 'warn',
      KEYPLANE_CONSOLE_DIR: consoleDir,
      KEYPLANE_ADMIN_EMAIL: credentials.KEYPLANE_E2E_EMAIL,
      KEYPLANE_BOOTSTRAP_KEY: credentials.KEYPLANE_E2E_KEY,
      KEYPLANE_BOOTSTRAP_SECRET: credentials.KEYPLANE_E2E_SECRET,
      KEYPLANE_BOOTSTRAP_PASSWORD: credentials.KEYPLANE_E2E_PASSWORD,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    await waitForServer(url, child, () => output);
  } catch (error) {
    child.kill();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  Object.assign(process.env, credentials);

  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
}
