import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createKeyplane, listen, type RunningServer } from '../src/server.js';
import { basic, capturedLogs, freshDatabase, issuedSecrets, unlimited } from './support/harness.js';

// A real nginx runs docs/nginx/keyplane.conf, filled in, in front of a real Keyplane listening
// on a port: what the README promises about that file is what this checks.

const DOCS_CONFIG = new URL('../docs/nginx/keyplane.conf', import.meta.url);

/** Set by CI: a missing nginx fails the test instead of skipping it. */
const nginxRequired = process.env.KEYPLANE_REQUIRE_NGINX === '1';

type Availability = { ok: true; binary: string } | { ok: false; reason: string };

/** KEYPLANE_TEST_NGINX names the binary; else nginx on PATH, or in the sbin directories a non-root PATH leaves out. */
function findNginx(): Availability {
  const named = process.env.KEYPLANE_TEST_NGINX;
  const candidates = named ? [named] : ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];
  for (const binary of candidates) {
    const probe = spawnSync(binary, ['-V'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) continue;
    // nginx -V prints its configure arguments to stderr.
    if (!probe.stderr.includes('http_auth_request_module')) {
      return { ok: false, reason: `${binary} is built without the auth_request module (--with-http_auth_request_module)` };
    }
    return { ok: true, binary };
  }
  return { ok: false, reason: named ? `KEYPLANE_TEST_NGINX=${named} does not run` : 'nginx is not installed (not on PATH nor in /usr/sbin, /usr/local/sbin)' };
}

const nginxFound = findNginx();
if (!nginxFound.ok) {
  console.warn(
    `${nginxFound.reason}: ` +
      (nginxRequired ? 'KEYPLANE_REQUIRE_NGINX=1, so the nginx integration test runs and fails' : 'the nginx integration test is skipped'),
  );
}

/** What the protected service answers: its content and what nginx told it. */
const CONTENT = 'the protected content';
interface Echo {
  content: string;
  path: string;
  principal: string | null;
  key: string | null;
  authorization: string | null;
}

type Key = { key: string; secret: string };

let workDir: string | undefined;
let keyplaneServer: RunningServer | undefined;
let dropDatabase: (() => Promise<void>) | undefined;
let upstream: Server | undefined;
let upstreamHits = 0;
let nginx: ChildProcess | undefined;
let nginxUrl: string;
let keyplaneUrl: string;
let admin: Key;
const ids: Record<string, string> = {};
const keys: Record<string, Key> = {};

/** Most failed authentications per key id per minute: low, so the test can meet the limit. */
const FAILURES_PER_KEY = 3;

/** A management API call over HTTP as the initial admin; fails the test on anything but 2xx. */
async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${keyplaneUrl}${path}`, {
    method,
    headers: { authorization: basic(admin.key, admin.secret), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  const parsed = text ? JSON.parse(text) : undefined;
  if (typeof parsed?.spec?.secret === 'string') issuedSecrets.add(parsed.spec.secret);
  return parsed;
}

async function newKey(owner: string, resource?: { id: string; environment: string }): Promise<Key> {
  const body = await api('POST', '/iam/v2/api-keys', { spec: { owner: { id: owner }, ...(resource ? { resource } : {}) } });
  return { key: body.id, secret: body.spec.secret };
}

/** A request through nginx, with `credentials` as the client's HTTP Basic. */
async function through(credentials: Key | undefined, headers: Record<string, string> = {}, path = '/') {
  const res = await fetch(`${nginxUrl}${path}`, {
    headers: { ...headers, ...(credentials ? { authorization: basic(credentials.key, credentials.secret) } : {}) },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The docs' file with every placeholder filled in; a placeholder the test does not know fails it. */
function renderDocsConfig(values: Record<string, string>): string {
  let text = readFileSync(DOCS_CONFIG, 'utf8');
  for (const [name, value] of Object.entries(values)) {
    const placeholder = `@${name}@`;
    expect(text, `docs/nginx/keyplane.conf uses ${placeholder}`).toContain(placeholder);
    text = text.replaceAll(placeholder, value);
  }
  expect(text.match(/@[A-Z_]+@/g) ?? [], 'placeholders left in docs/nginx/keyplane.conf').toEqual([]);
  return text;
}

/**
 * The main nginx.conf a distribution ships, cut down: everything nginx writes stays in `dir`,
 * and the docs' file is included inside `http { }` as conf.d/*.conf is.
 */
function mainConfig(dir: string, included: string): string {
  const temp = (name: string) => join(dir, 'temp', name);
  return [
    'daemon off;',
    // As root the workers would otherwise run as nobody, who cannot enter the 0700 temp directory.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 256; }',
    'http {',
    '    access_log off;',
    `    client_body_temp_path ${temp('client_body')};`,
    `    proxy_temp_path ${temp('proxy')};`,
    `    fastcgi_temp_path ${temp('fastcgi')};`,
    `    uwsgi_temp_path ${temp('uwsgi')};`,
    `    scgi_temp_path ${temp('scgi')};`,
    `    include ${included};`,
    '}',
    '',
  ].join('\n');
}

function nginxLog(dir: string, stderr: string): string {
  const file = join(dir, 'error.log');
  const log = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return `nginx error log:\n${log || '(empty)'}\nnginx stderr:\n${stderr || '(empty)'}`;
}

/** Starts nginx in the foreground and waits until it answers; a port taken meanwhile is retried. */
async function startNginx(binary: string, dir: string, values: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  let failure = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const included = join(dir, 'keyplane.conf');
    // It holds the verifier's secret, as it would on a server.
    writeFileSync(included, renderDocsConfig({ ...values, LISTEN: `127.0.0.1:${port}` }), { mode: 0o600 });
    chmodSync(included, 0o600);
    const main = join(dir, 'nginx.conf');
    writeFileSync(main, mainConfig(dir, included));
    rmSync(join(dir, 'error.log'), { force: true });
    const child = spawn(binary, ['-p', `${dir}/`, '-c', main], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
      const answered = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) }).then(
        (res) => res.text().then(() => true),
        () => false,
      );
      if (answered) return { child, url };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`nginx did not answer on ${url} within 15 s\n${nginxLog(dir, stderr)}`);
    }
    await exited;
    failure = nginxLog(dir, stderr);
    if (!failure.includes('Address already in use')) break;
  }
  throw new Error(`nginx did not start (${nginxFound.ok ? nginxFound.binary : 'not found'})\n${failure}`);
}

async function stopNginx(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGTERM is nginx's fast shutdown: the master stops its workers, then itself.
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

describe.skipIf(!nginxFound.ok && !nginxRequired)('nginx auth_request with docs/nginx/keyplane.conf', () => {
  beforeAll(async () => {
    if (!nginxFound.ok) throw new Error(`KEYPLANE_REQUIRE_NGINX=1, but ${nginxFound.reason}`);
    const dir = mkdtempSync(join(tmpdir(), 'keyplane-nginx-'));
    workDir = dir;
    mkdirSync(join(dir, 'temp'));

    const database = await freshDatabase();
    dropDatabase = database.drop;
    const config = loadConfig({
      KEYPLANE_DATA_DIR: join(dir, 'data'),
      KEYPLANE_PUBLIC_URL: 'http://keyplane.test:8080',
      KEYPLANE_LOG_LEVEL: 'debug',
      ...unlimited,
      KEYPLANE_AUTH_FAILURES_PER_MINUTE: String(FAILURES_PER_KEY),
      ...database.env,
    });
    const logger = createLogger('debug', (line) => {
      capturedLogs.push(line);
    });
    const keyplane = await createKeyplane(config, logger);
    keyplaneServer = await listen(keyplane, '127.0.0.1', 0).catch(async (error) => {
      await keyplane.close();
      throw error;
    });
    keyplaneUrl = keyplaneServer.url;
    const initial = keyplane.initialCredentials!;
    issuedSecrets.add(initial.secret);
    admin = { key: initial.key, secret: initial.secret };

    const environments = await api('GET', '/org/v2/environments');
    const envId: string = environments.data.find((e: { display_name: string }) => e.display_name === 'default').id;
    const cluster = { spec: { display_name: 'orders', cloud: 'AWS', region: 'us-east-1', availability: 'SINGLE_ZONE', config: { kind: 'Basic' }, environment: { id: envId } } };
    ids.cluster = (await api('POST', '/cmk/v2/clusters', cluster)).id;
    ids.otherCluster = (await api('POST', '/cmk/v2/clusters', cluster)).id;
    ids.serviceAccount = (await api('POST', '/iam/v2/service-accounts', { display_name: 'orders-gateway' })).id;
    const onCluster = { id: ids.cluster!, environment: envId };
    keys.verifier = await newKey(ids.serviceAccount!, onCluster);
    keys.client = await newKey(ids.serviceAccount!, onCluster);
    keys.deleted = await newKey(ids.serviceAccount!, onCluster);
    keys.throttled = await newKey(ids.serviceAccount!, onCluster);
    keys.otherCluster = await newKey(ids.serviceAccount!, { id: ids.otherCluster!, environment: envId });
    keys.cloud = await newKey(ids.serviceAccount!);

    upstream = createServer((req: IncomingMessage, res) => {
      upstreamHits++;
      const header = (name: string) => (req.headers[name] as string | undefined) ?? null;
      const echo: Echo = {
        content: CONTENT,
        path: req.url ?? '',
        principal: header('x-keyplane-principal'),
        key: header('x-keyplane-key'),
        authorization: header('authorization'),
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(echo));
    });
    await new Promise<void>((resolve) => upstream!.listen(0, '127.0.0.1', resolve));

    const started = await startNginx(nginxFound.binary, dir, {
      KEYPLANE_ADDRESS: `127.0.0.1:${keyplaneServer.port}`,
      UPSTREAM: `127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      RESOURCE: ids.cluster!,
      VERIFIER_BASIC: Buffer.from(`${keys.verifier.key}:${keys.verifier.secret}`).toString('base64'),
    });
    nginx = started.child;
    nginxUrl = started.url;
  });

  afterAll(async () => {
    // Each step runs whatever the others did.
    const steps: Array<() => Promise<void> | void> = [
      () => (nginx ? stopNginx(nginx) : undefined),
      () => keyplaneServer?.close(),
      () => dropDatabase?.(),
      () => new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve())),
      () => (workDir ? rmSync(workDir, { recursive: true, force: true }) : undefined),
    ];
    const errors: unknown[] = [];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleaning up after the nginx test failed');
  });

  it('lets a key for the resource through, and tells the service who it is and nobody else', async () => {
    const before = upstreamHits;
    // Headers a client might forge: nginx's configuration replaces them all.
    const res = await through(keys.client, {
      'x-keyplane-principal': 'u-forged',
      'x-keyplane-key': 'FORGEDFORGEDFORG',
      'x-keyplane-resource': ids.otherCluster!,
    }, '/orders?page=2');
    expect(res.status, res.text).toBe(200);
    const echo = JSON.parse(res.text) as Echo;
    expect(echo).toEqual({
      content: CONTENT,
      path: '/orders?page=2',
      principal: ids.serviceAccount,
      key: keys.client!.key,
      // The client's secret is not passed on to the service.
      authorization: null,
    });
    expect(res.headers.get('x-keyplane-reason')).toBeNull();
    expect(upstreamHits).toBe(before + 1);
  });

  it('asks for credentials when there are none, and refuses a wrong secret, without reaching the service', async () => {
    const before = upstreamHits;
    const none = await through(undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="Keyplane", charset="UTF-8"');
    expect(none.text).not.toContain(CONTENT);

    const wrong = await through({ key: keys.client!.key, secret: `${keys.client!.secret.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm="Keyplane"/);
    expect(wrong.headers.get('x-keyplane-reason')).toBe('invalid_credentials');
    expect(wrong.text).not.toContain(CONTENT);
    expect(upstreamHits).toBe(before);
  });

  it('refuses a key for another cluster and a Cloud key with 403, however the client names the resource', async () => {
    const before = upstreamHits;
    const other = await through(keys.otherCluster);
    expect(other.status).toBe(403);
    expect(other.headers.get('x-keyplane-reason')).toBe('wrong_resource');
    expect(other.headers.get('www-authenticate')).toBeNull();
    // A client naming the other cluster itself changes nothing: the configuration sets the resource.
    const forged = await through(keys.otherCluster, { 'x-keyplane-resource': ids.otherCluster! });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('x-keyplane-reason')).toBe('wrong_resource');

    const cloud = await through(keys.cloud);
    expect(cloud.status).toBe(403);
    expect(cloud.headers.get('x-keyplane-reason')).toBe('cloud_key');
    expect(upstreamHits).toBe(before);
  });

  it('refuses a key deleted through the API on the very next request', async () => {
    // Used first, so that it is in Keyplane's cache when it is deleted.
    expect((await through(keys.deleted)).status).toBe(200);
    await api('DELETE', `/iam/v2/api-keys/${keys.deleted!.key}`);
    const after = await through(keys.deleted);
    expect(after.status).toBe(401);
    expect(after.headers.get('x-keyplane-reason')).toBe('invalid_credentials');
    expect(after.text).not.toContain(CONTENT);
  });

  it('passes on a throttled key as 403 with Retry-After, even with the right secret', async () => {
    const wrong = { key: keys.throttled!.key, secret: `${keys.throttled!.secret.slice(0, -1)}x` };
    for (let i = 0; i < FAILURES_PER_KEY; i++) expect((await through(wrong)).status).toBe(401);
    const throttled = await through(keys.throttled);
    expect(throttled.status).toBe(403);
    expect(throttled.headers.get('x-keyplane-reason')).toBe('too_many_requests');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(throttled.text).not.toContain(CONTENT);
    // Another key of the same owner is not held up by it.
    expect((await through(keys.client)).status).toBe(200);
  });

  // Last: it stops Keyplane.
  it('fails closed: with Keyplane gone, nothing reaches the service', async () => {
    const before = upstreamHits;
    const running = keyplaneServer!;
    keyplaneServer = undefined;
    await running.close();
    const res = await through(keys.client);
    expect(res.status).toBe(500);
    expect(res.text).not.toContain(CONTENT);
    expect(upstreamHits).toBe(before);
  });
});
