/**
 * Data-plane figures, printed, never asserted. In one run, each server pinned to CPU 0 and wrk
 * (Debian package `wrk`) to CPU 1, all at the same wrk settings:
 *   (a) GET /v1/auth/nginx on Keyplane directly,
 *   (b) POST /v1/verify on Keyplane,
 *   (c) nginx auth_request → Keyplane, serving a tiny file (nginx and Keyplane share CPU 0),
 *   (d) nginx auth_basic with a {SHA} htpasswd, serving the same file,
 *   (e) a bare node:http server doing the same parsing, map lookups and hashes (bench/verify-reference.ts),
 * each the median of several interleaved runs, with the ratios a/d, a/e and c/d; then
 * verifications per second in process with 1,000,000 keys in the cache.
 * Run: `npm run bench:verify` (`-- --runs 5`, `-- --seconds 10`, `-- --skip-http`, `-- --skip-in-process`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newApiKeyId } from '../src/domain/ids.js';
import { defaultQuotaLimits } from '../src/domain/quotas.js';
import { newSecret } from '../src/domain/secret.js';
import { createContext } from '../src/services/context.js';
import { keyRecord } from '../src/services/key-cache.js';
import { createSecretHasher } from '../src/services/secret-hasher.js';
import { parseResource, verifyCredentials } from '../src/services/verify-credentials.js';
import { openSqliteStore } from '../src/storage/sqlite/open-sqlite.js';
import { repoRoot, startServer } from '../test/support/process.js';
import { apiKeyRow } from '../test/support/rows.js';
import { median, runWrk, summarise, type WrkFigures, wrkInstalled } from './lib/wrk.js';

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    'skip-http': { type: 'boolean', default: false },
    'skip-in-process': { type: 'boolean', default: false },
  },
});
const RUNS = Number(options.runs);
const SECONDS = Number(options.seconds);
const CONNECTIONS = Number(options.connections);
const SERVER_CPU = '0';
const WRK_CPU = '1';

const out = (line = '') => process.stdout.write(`${line}\n`);
const basic = (key: string, secret: string) => `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

function installed(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch (error) {
    return (error as { status?: number }).status !== undefined;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

async function waitFor(url: string, headers: Record<string, string>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(url, { headers }).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${what} did not answer 200 at ${url}`);
}

const children: ChildProcess[] = [];
function run(command: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

async function httpFigures(): Promise<void> {
  const missing = [
    ['wrk', wrkInstalled()],
    ['nginx', installed('nginx', ['-v'])],
    ['taskset', installed('taskset', ['--version'])],
  ].filter(([, ok]) => !ok);
  if (missing.length > 0) {
    out(`HTTP figures skipped: ${missing.map(([name]) => name).join(', ')} not installed (apt-get install wrk nginx util-linux)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'keyplane-bench-verify-'));
  try {
    // info, because startServer waits for the "listening" line; the data plane logs its requests only at debug.
    const keyplane = await startServer({ KEYPLANE_DATA_DIR: dir, KEYPLANE_LOG_LEVEL: 'info' });
    execFileSync('taskset', ['-a', '-cp', SERVER_CPU, String(keyplane.child.pid)], { stdio: 'ignore' });
    const saved = readFileSync(join(dir, 'initial-admin.txt'), 'utf8');
    const admin = basic(/KEYPLANE_API_KEY=(\w+)/.exec(saved)![1]!, /KEYPLANE_API_SECRET=(\S+)/.exec(saved)![1]!);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${keyplane.url}${path}`, {
        method,
        headers: { authorization: admin, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string; data: Array<{ id: string }>; spec: { secret: string } };
    };
    const env = (await api('GET', '/org/v2/environments')).data[0]!.id;
    const lkc = (
      await api('POST', '/cmk/v2/clusters', {
        spec: { display_name: 'bench', cloud: 'AWS', region: 'us-east-1', availability: 'SINGLE_ZONE', config: { kind: 'Basic' }, environment: { id: env } },
      })
    ).id;
    const sa = (await api('POST', '/iam/v2/service-accounts', { display_name: 'bench-gateway' })).id;
    const newKey = async () => {
      const created = await api('POST', '/iam/v2/api-keys', { spec: { owner: { id: sa }, resource: { id: lkc, environment: env } } });
      return { key: created.id, secret: created.spec.secret };
    };
    const verifier = await newKey();
    const client = await newKey();
    const clientAuth = basic(client.key, client.secret);
    const verifierAuth = basic(verifier.key, verifier.secret);

    const referencePort = await freePort();
    run('taskset', ['-c', SERVER_CPU, process.execPath, '--import', 'tsx', 'bench/verify-reference.ts'], {
      PORT: String(referencePort),
      KEYS: `${verifier.key}:${verifier.secret},${client.key}:${client.secret}`,
    });

    const nginxDir = join(dir, 'nginx');
    mkdirSync(join(nginxDir, 'www'), { recursive: true });
    mkdirSync(join(nginxDir, 'tmp'));
    writeFileSync(join(nginxDir, 'www', 'index.html'), 'ok\n');
    const sha = createHash('sha1').update(client.secret).digest('base64');
    writeFileSync(join(nginxDir, 'htpasswd'), `${client.key}:{SHA}${sha}\n`);
    const [basicPort, authRequestPort] = [await freePort(), await freePort()];
    const keyplanePort = new URL(keyplane.url).port;
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${nginxDir}/tmp/${t};`).join('\n');
    writeFileSync(
      join(nginxDir, 'nginx.conf'),
      `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${nginxDir}/nginx.pid;
error_log ${nginxDir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
${temp}
  upstream keyplane { server 127.0.0.1:${keyplanePort}; keepalive 64; }
  server {
    listen 127.0.0.1:${basicPort};
    root ${nginxDir}/www;
    location / { auth_basic "bench"; auth_basic_user_file ${nginxDir}/htpasswd; }
  }
  server {
    listen 127.0.0.1:${authRequestPort};
    root ${nginxDir}/www;
    location / { auth_request /_keyplane; }
    location = /_keyplane {
      internal;
      proxy_pass http://keyplane/v1/auth/nginx;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Keyplane-Resource ${lkc};
      proxy_set_header X-Keyplane-Verifier "${verifierAuth}";
      proxy_set_header X-Keyplane-Client-Address $remote_addr;
    }
  }
}
`,
    );
    run('taskset', ['-c', SERVER_CPU, 'nginx', '-p', nginxDir, '-c', join(nginxDir, 'nginx.conf')]);

    const script = join(dir, 'verify.lua');
    writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.body = '${JSON.stringify({ key: client.key, secret: client.secret, resource: lkc })}'\nwrk.headers["Content-Type"] = "application/json"\n`,
    );
    const dataPlaneHeaders = { authorization: clientAuth, 'x-keyplane-verifier': verifierAuth, 'x-keyplane-resource': lkc };
    const targets: Array<{ id: string; label: string; url: string; headers: Record<string, string>; script?: string }> = [
      { id: 'a', label: '(a) GET /v1/auth/nginx, direct', url: `${keyplane.url}/v1/auth/nginx`, headers: dataPlaneHeaders },
      { id: 'b', label: '(b) POST /v1/verify', url: `${keyplane.url}/v1/verify`, headers: { authorization: verifierAuth }, script },
      { id: 'c', label: '(c) nginx auth_request → Keyplane', url: `http://127.0.0.1:${authRequestPort}/index.html`, headers: { authorization: clientAuth } },
      { id: 'd', label: '(d) nginx auth_basic, {SHA} htpasswd', url: `http://127.0.0.1:${basicPort}/index.html`, headers: { authorization: clientAuth } },
      { id: 'e', label: '(e) bare node:http, same lookups and hashes', url: `http://127.0.0.1:${referencePort}/`, headers: dataPlaneHeaders },
    ];
    for (const t of targets) {
      if (t.script) {
        const res = await fetch(t.url, { method: 'POST', headers: { ...t.headers, 'content-type': 'application/json' }, body: JSON.stringify({ ...client, resource: lkc }) });
        const body = (await res.json()) as { valid?: boolean };
        if (!body.valid) throw new Error(`${t.label}: the key does not verify`);
      } else await waitFor(t.url, t.headers, t.label);
    }

    const results = new Map<string, WrkFigures[]>(targets.map((t) => [t.id, []]));
    // A short warm-up each, then the runs interleaved, so that drift on a shared machine hits all alike.
    for (const t of targets) await runWrk({ url: t.url, connections: CONNECTIONS, seconds: 1, headers: t.headers, cpus: WRK_CPU, ...(t.script ? { script: t.script } : {}) });
    for (let i = 0; i < RUNS; i++) {
      for (const t of targets) {
        const figures = await runWrk({ url: t.url, connections: CONNECTIONS, seconds: SECONDS, headers: t.headers, cpus: WRK_CPU, ...(t.script ? { script: t.script } : {}) });
        results.get(t.id)!.push(figures);
      }
    }
    out(`node ${process.version}; servers on CPU ${SERVER_CPU}, wrk -t1 -c${CONNECTIONS} -d${SECONDS}s on CPU ${WRK_CPU}; median of ${RUNS} interleaved runs`);
    const m = new Map(targets.map((t) => [t.id, summarise(results.get(t.id)!)]));
    for (const t of targets) {
      const f = m.get(t.id)!;
      out(`${t.label.padEnd(48)} ${f.rps.toFixed(0).padStart(7)} req/s   p50 ${f.p50.toFixed(2)} ms   p99 ${f.p99.toFixed(2)} ms${f.errors ? `   (${f.errors} errors)` : ''}`);
    }
    const ratio = (x: string, y: string) => (m.get(x)!.rps / m.get(y)!.rps).toFixed(2);
    out(`a/d ${ratio('a', 'd')} (goal ≥ 1.0)   a/e ${ratio('a', 'e')} (goal ≥ 0.8)   c/d ${ratio('c', 'd')}`);
    await keyplane.stop();
  } finally {
    for (const child of children) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

interface LoadedCache {
  ctx: ReturnType<typeof createContext>;
  ids: string[];
  secrets: string[];
  bytesPerKey: number;
  close(): Promise<void>;
}

/** A context whose key cache holds `count` keys, each verified once (its fingerprint remembered). */
async function loadedCache(count: number): Promise<LoadedCache> {
  const store = await openSqliteStore(':memory:');
  const hasher = createSecretHasher({ current: 1, keys: new Map([[1, randomBytes(32)]]) });
  const ctx = createContext({ store, hasher, quotas: defaultQuotaLimits(), keyCache: { maxEntries: count } }, 'org-bench');
  const ids: string[] = [];
  const secrets: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(newApiKeyId(randomBytes));
    secrets.push(newSecret(randomBytes));
  }
  const rssBefore = process.memoryUsage().rss;
  const now = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    const { hash, version } = hasher.hash(secrets[i]!);
    const row = apiKeyRow(ids[i]!, now, {
      ownerId: 'sa-bench1',
      scopeKind: 'Cluster',
      resourceId: 'lkc-bench1',
      resourceEnvironmentId: 'env-bench1',
      secretHash: hash,
      pepperVersion: version,
    });
    ctx.keys.remember(ids[i]!, keyRecord(row), 0);
  }
  for (let i = 0; i < count; i++) verifyCredentials(ctx, ids[i]!, secrets[i]!, resource, origin);
  // The cache's records and the remembered fingerprints; the benchmark's own ids and secrets came before.
  const bytesPerKey = (process.memoryUsage().rss - rssBefore) / count;
  return { ctx, ids, secrets, bytesPerKey, close: () => store.close() };
}

const resource = parseResource('lkc-bench1')!;
const origin = { via: 'verify' as const };
const CALLS = 1_000_000;

/** Median verifications per second over CALLS calls, the key of call i being `pick(i)`. */
function measure({ ctx, ids, secrets }: LoadedCache, pick: (i: number) => number): number {
  const rates: number[] = [];
  for (let r = 0; r < Math.max(3, RUNS); r++) {
    let valid = 0;
    const started = performance.now();
    for (let i = 0; i < CALLS; i++) {
      const j = pick(i);
      const verification = verifyCredentials(ctx, ids[j]!, secrets[j]!, resource, origin);
      if (!(verification instanceof Promise) && verification.valid) valid++;
    }
    const seconds = (performance.now() - started) / 1000;
    if (valid !== CALLS) throw new Error(`only ${valid} of ${CALLS} verified`);
    rates.push(CALLS / seconds);
  }
  return median(rates);
}

/** Verifications per second in this process, with 1,000,000 keys in the cache (and, for scale, 16,384). */
async function inProcessFigures(): Promise<void> {
  const SMALL = 16_384;
  const few = await loadedCache(SMALL);
  const fewRate = measure(few, (i) => (i * 61) & (SMALL - 1));
  await few.close();

  const KEYS = 1_000_000;
  const many = await loadedCache(KEYS);
  const order = Uint32Array.from({ length: CALLS }, () => Math.floor(Math.random() * KEYS));
  const spread = measure(many, (i) => order[i]!);
  // The reference, in the same run: the cache's map lookup alone, over the same keys in the same order.
  const lookups: number[] = [];
  for (let r = 0; r < Math.max(3, RUNS); r++) {
    let found = 0;
    const started = performance.now();
    for (let i = 0; i < CALLS; i++) if (many.ctx.keys.peek(many.ids[order[i]!]!)) found++;
    lookups.push(CALLS / ((performance.now() - started) / 1000));
    if (found !== CALLS) throw new Error('a cached key was not found');
  }
  const lookup = median(lookups);
  const rss = process.memoryUsage().rss / 2 ** 20;
  out(`in process, ${KEYS.toLocaleString('en')} keys cached (about ${many.bytesPerKey.toFixed(0)} bytes each; process RSS ${rss.toFixed(0)} MiB):`);
  out(`  verifications, every call a random key of the 1M     ${spread.toFixed(0).padStart(10)} /s`);
  out(`  the map lookup alone, same keys and order            ${lookup.toFixed(0).padStart(10)} /s   (verification/lookup ${(spread / lookup).toFixed(2)})`);
  out(`with ${SMALL.toLocaleString('en')} keys cached, called round-robin   ${fewRate.toFixed(0).padStart(10)} /s`);
  await many.close();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of children) child.kill('SIGTERM');
    process.exit(130);
  });
}
if (!options['skip-http']) await httpFigures();
if (!options['skip-in-process']) await inProcessFigures();
