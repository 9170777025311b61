/**
 * Store figures at scale, SQLite and PostgreSQL side by side. For each backend and size it seeds
 * that many API keys straight through the Store (1,000 service accounts, 100 Kafka clusters in
 * four environments, a few hundred Cloud keys), starts the server as `npm start` does and drives
 * it with wrk (Debian package `wrk`): key creations per second on one connection and on 50,
 * p50/p99 of a page of 100 keys at the start, middle and end of the set and filtered by owner,
 * and authenticated GETs of one key. Medians of several runs; asserts nothing.
 *
 * Run: `node --import tsx bench/store.ts [--sizes 100000,1000000] [--backends sqlite,postgres]
 * [--runs 3] [--quick]`. PostgreSQL: KEYPLANE_BENCH_DATABASE_URL, else KEYPLANE_TEST_DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/test; the bench works in a schema of its own and drops
 * it at the end.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { newApiKeyId, newId } from '../src/domain/ids.js';
import { newSecret } from '../src/domain/secret.js';
import { encodePageToken } from '../src/http/paging.js';
import { openStore } from '../src/server.js';
import { apiKeyRow } from '../src/services/api-keys.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { createSecretHasher } from '../src/services/secret-hasher.js';
import { loadOrCreatePeppers } from '../src/storage/pepper-file.js';
import type { ApiKey } from '../src/storage/schema.js';
import type { Store } from '../src/storage/store.js';
import { runServer } from '../test/support/process.js';
import { repeat, runningWrk, runWrk, summarise, type WrkFigures, wrkInstalled } from './lib/wrk.js';

type Backend = 'sqlite' | 'postgres';

const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string' },
    backends: { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean' },
    // For investigation: leave the databases behind and print where they are.
    keep: { type: 'boolean' },
    // For investigation: NODE_OPTIONS of the server process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
    'server-node-options': { type: 'string' },
  },
  strict: true,
});
const quick = flags.quick === true;
const sizes = (flags.sizes ?? (quick ? '10000' : '100000,1000000')).split(',').map((s) => Number(s.replaceAll('_', '')));
const backends = (flags.backends ?? 'sqlite,postgres').split(',').map((s) => s.trim()) as Backend[];
const RUNS = Number(flags.runs ?? (quick ? 1 : 3));
const CREATE_SECONDS = quick ? 2 : 5;
const LIST_SECONDS = quick ? 1 : 3;
const GET_SECONDS = quick ? 2 : 5;
const PAGE = 100;
const SEED_BATCH = 10_000;
const SERVICE_ACCOUNTS = 1_000;
const USERS = 20;
const ENVIRONMENTS = ['production', 'staging', 'development', 'analytics'];
const KAFKA_CLUSTERS = 100;
const CLOUD_KEYS = 300;
const GET_TARGETS = 1_000;
const RAISED = 100_000_000;
const QUOTAS = [
  'iam.max_cloud_api_keys.per_user',
  'iam.max_cluster_api_keys.per_user',
  'iam.max_cloud_api_keys.per_service_account',
  'iam.max_cluster_api_keys.per_service_account',
  'iam.max_cloud_api_keys.per_org',
  'kafka.max_api_keys.per_cluster',
  'iam.max_service_accounts.per_org',
]
  .map((code) => `${code}=${RAISED}`)
  .join(',');
const pgBaseUrl =
  process.env.KEYPLANE_BENCH_DATABASE_URL ?? process.env.KEYPLANE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

for (const b of backends) if (b !== 'sqlite' && b !== 'postgres') throw new Error(`--backends: unknown backend "${b}"`);
for (const n of sizes) if (!Number.isInteger(n) || n < 1000) throw new Error('--sizes: whole numbers of at least 1000');
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs: a whole number ≥ 1');

if (!wrkInstalled()) {
  process.stdout.write('bench/store: wrk is not installed (apt-get install wrk); nothing measured\n');
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Interruption and clean-up: Ctrl-C stops wrk and the server, then the normal clean-up runs.

class Interrupted extends Error {}
let interrupted = false;
const servers = new Set<ChildProcess>();
/** What is left to remove, by description, in case a second Ctrl-C leaves it behind. */
const leftovers = new Map<string, () => Promise<void>>();

let interruptedAt = 0;

function onSignal(signal: NodeJS.Signals) {
  // A signal sent to the process group (as `timeout` does) may arrive twice at once: one is enough.
  if (interrupted && performance.now() - interruptedAt < 1000) return;
  if (interrupted) {
    process.stderr.write(`\nbench/store: stopped at once; left behind: ${[...leftovers.keys()].join(', ') || 'nothing'}\n`);
    process.exit(130);
  }
  interrupted = true;
  interruptedAt = performance.now();
  process.stderr.write(`\nbench/store: ${signal}; cleaning up (again to stop at once)\n`);
  for (const child of runningWrk) child.kill('SIGTERM');
  for (const child of servers) child.kill('SIGTERM');
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

function checkpoint(): void {
  if (interrupted) throw new Interrupted('interrupted');
}

async function cleanUp(): Promise<void> {
  if (flags.keep && !interrupted) {
    for (const what of leftovers.keys()) log(`  kept ${what}`);
    leftovers.clear();
    return;
  }
  for (const [what, remove] of [...leftovers].reverse()) {
    try {
      await remove();
      leftovers.delete(what);
    } catch (error) {
      process.stderr.write(`bench/store: could not remove ${what}: ${(error as Error).message}\n`);
    }
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// PostgreSQL helpers.

function urlWithSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function pgQuery<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Seeding.

/** Cheap random bytes for ids and secrets: one large read from the CSPRNG, handed out in slices. */
function pooledRandom(): (n: number) => Uint8Array {
  let pool = Buffer.alloc(0);
  let offset = 0;
  return (n) => {
    if (offset + n > pool.length) {
      pool = randomBytes(Math.max(1 << 16, n));
      offset = 0;
    }
    const out = pool.subarray(offset, offset + n);
    offset += n;
    return out;
  };
}

/** A small seeded PRNG (mulberry32), so two runs spread keys the same way. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Principal {
  id: string;
  kind: 'User' | 'ServiceAccount';
}

interface Cluster {
  id: string;
  environmentId: string;
}

interface Seeded {
  size: number;
  admin: { key: string; secret: string; id: string };
  /** Seeded key ids in list order (createdAt, id). */
  ids: string[];
  createdAt: (i: number) => string;
  clusters: Cluster[];
  /** Seeded Cloud keys whose secrets are kept, to authenticate with. */
  credentials: { key: string; secret: string }[];
  filterOwner: { id: string; keys: number };
  seedSeconds: number;
}

interface Target {
  backend: Backend;
  size: number;
  dir: string;
  databaseUrl: string;
}

async function prepareTarget(backend: Backend, size: number): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'keyplane-bench-store-'));
  leftovers.set(`directory ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  if (backend === 'sqlite') return { backend, size, dir, databaseUrl: `sqlite:${join(dir, 'keyplane.db')}` };
  const schema = `kp_bench_${randomBytes(6).toString('hex')}`;
  await pgQuery(pgBaseUrl, `create schema ${schema}`);
  leftovers.set(`PostgreSQL schema ${schema}`, async () => {
    await pgQuery(pgBaseUrl, `drop schema if exists ${schema} cascade`);
  });
  return { backend, size, dir, databaseUrl: urlWithSchema(pgBaseUrl, schema) };
}

async function seed(target: Target): Promise<Seeded> {
  const config = loadConfig({ KEYPLANE_DATA_DIR: target.dir, KEYPLANE_DATABASE_URL: target.databaseUrl, KEYPLANE_QUOTAS: QUOTAS });
  // The pepper file the server will read: seeded hashes are made under the same pepper.
  const hasher = createSecretHasher(loadOrCreatePeppers(config.pepperFile));
  const store: Store = await openStore(config);
  try {
    const boot = await bootstrap({ store, hasher, quotas: config.quotas }, { adminEmail: 'admin@bench.keyplane.local' });
    const initial = boot.initialCredentials!;
    const random = pooledRandom();
    const pick = prng(target.size);
    const size = target.size;
    const day = 24 * 60 * 60 * 1000;
    // Keys were created over the last ~300 days, strictly one after another; everything else before.
    const base = Date.now() - 400 * day;
    const step = Math.max(1, Math.floor((300 * day) / size));
    const createdAt = (i: number) => new Date(base + i * step).toISOString();
    const early = (j: number) => new Date(base - 30 * day + j * 1000).toISOString();

    const environments = ENVIRONMENTS.map((name, j) => ({
      id: newId('environment', random),
      displayName: name,
      streamGovernancePackage: 'ESSENTIALS',
      createdAt: early(j),
      updatedAt: early(j),
    }));
    const clouds = [
      ['AWS', 'us-east-1'],
      ['AWS', 'eu-west-1'],
      ['GCP', 'us-central1'],
      ['AZURE', 'westeurope'],
    ] as const;
    const kafka = Array.from({ length: KAFKA_CLUSTERS }, (_, j) => {
      const env = environments[j % environments.length]!;
      const [cloud, region] = clouds[j % clouds.length]!;
      return {
        id: newId('kafkaCluster', random),
        type: 'kafka',
        environmentId: env.id,
        displayName: `${env.displayName}-cluster-${j}`,
        cloud,
        region,
        attributes: JSON.stringify({ availability: j % 3 ? 'SINGLE_ZONE' : 'MULTI_ZONE', config: { kind: j % 5 ? 'Basic' : 'Standard' } }),
        createdAt: early(100 + j),
        updatedAt: early(100 + j),
      };
    });
    const registries = environments.map((env, j) => ({
      id: newId('schemaRegistry', random),
      type: 'schema-registry',
      environmentId: env.id,
      displayName: `${env.displayName}-schema-registry`,
      cloud: 'AWS',
      region: 'us-east-1',
      attributes: JSON.stringify({ package: 'ESSENTIALS' }),
      createdAt: early(300 + j),
      updatedAt: early(300 + j),
    }));
    const users = Array.from({ length: USERS }, (_, j) => ({
      id: newId('user', random),
      email: `user${j}@bench.keyplane.local`,
      fullName: `Bench User ${j}`,
      authType: 'AUTH_TYPE_LOCAL',
      createdAt: early(400 + j),
      updatedAt: early(400 + j),
    }));
    const serviceAccounts = Array.from({ length: SERVICE_ACCOUNTS }, (_, j) => ({
      id: newId('serviceAccount', random),
      displayName: `bench-app-${j}`,
      description: `Service account of application ${j}`,
      createdAt: early(500 + j),
      updatedAt: early(500 + j),
    }));
    await store.transaction(async (tx) => {
      await tx.insertMany('environments', environments);
      await tx.insertMany('resources', [...kafka, ...registries]);
      await tx.insertMany('users', users);
      await tx.insertMany('serviceAccounts', serviceAccounts);
    });

    const userPrincipals: Principal[] = [{ id: initial.adminId, kind: 'User' }, ...users.map((u) => ({ id: u.id, kind: 'User' as const }))];
    const saPrincipals: Principal[] = serviceAccounts.map((s) => ({ id: s.id, kind: 'ServiceAccount' as const }));
    const clusters: Cluster[] = kafka.map((k) => ({ id: k.id, environmentId: k.environmentId }));
    const of = <T>(xs: readonly T[]) => xs[Math.floor(pick() * xs.length)]!;
    const cloudEvery = Math.max(1, Math.floor(size / CLOUD_KEYS));
    const filterOwner = { id: saPrincipals[0]!.id, keys: 0 };
    const ids: string[] = new Array(size);
    const credentials: { key: string; secret: string }[] = [];

    const keyAt = (i: number): ApiKey => {
      const cloudIndex = i % cloudEvery === cloudEvery >> 1 ? Math.floor(i / cloudEvery) : -1;
      let owner: Principal;
      let scope: { kind: 'Cloud' | 'Cluster' | 'SchemaRegistry'; id: string; environmentId: string | null };
      if (cloudIndex >= 0) {
        owner = pick() < 0.5 ? of(userPrincipals) : of(saPrincipals);
        scope = { kind: 'Cloud', id: 'cloud', environmentId: null };
      } else {
        owner = pick() < 0.95 ? of(saPrincipals) : of(userPrincipals);
        if (pick() < 0.9) {
          const cluster = of(clusters);
          scope = { kind: 'Cluster', id: cluster.id, environmentId: cluster.environmentId };
        } else {
          const registry = of(registries);
          scope = { kind: 'SchemaRegistry', id: registry.id, environmentId: registry.environmentId };
        }
      }
      const id = newApiKeyId(random);
      const secret = newSecret(random);
      if (cloudIndex >= 0 && cloudIndex % 37 === 0) credentials.push({ key: id, secret });
      if (owner.id === filterOwner.id) filterOwner.keys++;
      ids[i] = id;
      return apiKeyRow(hasher, createdAt(i), {
        id,
        owner,
        scope,
        displayName: `${scope.kind === 'Cloud' ? 'cloud' : 'app'}-key-${i}`,
        description: `Key ${i} of ${owner.id}`,
        secret,
      });
    };

    const started = performance.now();
    let reported = started;
    for (let start = 0; start < size; start += SEED_BATCH) {
      checkpoint();
      const rows: ApiKey[] = [];
      for (let i = start; i < Math.min(size, start + SEED_BATCH); i++) rows.push(keyAt(i));
      await store.insertMany('apiKeys', rows);
      if (performance.now() - reported > 10_000) {
        reported = performance.now();
        log(`  seeded ${(start + rows.length).toLocaleString('en')} of ${size.toLocaleString('en')}`);
      }
    }
    const seedSeconds = (performance.now() - started) / 1000;
    // Seeded keys sort by (createdAt, id); createdAt is strictly increasing, so ids[] is list order.
    return {
      size,
      admin: { key: initial.key, secret: initial.secret, id: initial.adminId },
      ids,
      createdAt,
      clusters,
      credentials,
      filterOwner,
      seedSeconds,
    };
  } finally {
    await store.close();
  }
}

/**
 * After a bulk load PostgreSQL's autovacuum would soon analyse and vacuum the new tables (the
 * insert threshold fires within a minute); doing it now keeps plans and index-only scans from
 * depending on when autovacuum got there. Only this schema's tables are touched.
 */
async function settlePostgres(url: string): Promise<void> {
  for (const table of ['api_keys', 'service_accounts', 'users', 'resources', 'environments']) {
    await pgQuery(url, `vacuum (analyze) ${table}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The server process.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

interface Server {
  url: string;
  stop(): Promise<void>;
}

/**
 * `keyplane server start` on the target's database. At log level warn the server does not
 * log that it listens, so readiness is polled on /healthz.
 */
async function startBenchServer(target: Target): Promise<Server> {
  const port = await freePort();
  const env: Record<string, string> = {
    KEYPLANE_PORT: String(port),
    KEYPLANE_DATA_DIR: target.dir,
    KEYPLANE_DATABASE_URL: target.databaseUrl,
    KEYPLANE_LOG_LEVEL: 'warn',
    KEYPLANE_QUOTAS: QUOTAS,
    // wrk sends thousands of requests a second with one key: the rate limit would measure itself.
    KEYPLANE_RATE_LIMIT_PER_MINUTE: '1000000000',
    KEYPLANE_RATE_LIMIT_BURST: '1000000000',
  };
  if (flags['server-node-options']) env.NODE_OPTIONS = flags['server-node-options'];
  const { child, out, exited } = runServer(env);
  servers.add(child);
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
    servers.delete(child);
  });
  const stop = async () => {
    if (exitCode === undefined) child.kill('SIGTERM');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`the server exited with ${exitCode}: ${out.stderr}${out.stdout}`);
    if (interrupted || Date.now() > deadline) {
      await stop();
      checkpoint();
      throw new Error(`the server did not answer on ${url}/healthz within 60 s: ${out.stderr}${out.stdout}`);
    }
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      await stop();
      if (out.stderr.trim()) log(`  server stderr: ${out.stderr.trim().slice(0, 2000)}`);
      if (out.stdout.trim()) log(`  server log: ${out.stdout.trim().slice(0, 2000)}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring.

interface Results {
  seedRate: number;
  create1: WrkFigures;
  create50: WrkFigures;
  listStart: WrkFigures;
  listMiddle: WrkFigures;
  listEnd: WrkFigures;
  listOwner: WrkFigures;
  get1: WrkFigures;
  get32: WrkFigures;
  ownerKeys: number;
  keysAtEnd: number;
}

const basic = (key: string, secret: string) => `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

interface ApiKeyList {
  data: { id: string }[];
  metadata: { next?: string; total_size?: number };
}

async function getJson<T>(url: string, auth: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { ...init, headers: { authorization: auth, 'content-type': 'application/json', ...init.headers } });
  return { status: response.status, body: (await response.json()) as T };
}

/** Fetches a list URL once and checks that it is the page the bench means to measure. */
async function checkPage(url: string, auth: string, firstId: string | undefined, what: string, expected = PAGE): Promise<void> {
  const { status, body } = await getJson<ApiKeyList>(url, auth);
  if (status !== 200) throw new Error(`${what}: status ${status}: ${JSON.stringify(body).slice(0, 500)}`);
  if (body.data.length !== expected) throw new Error(`${what}: ${body.data.length} keys instead of ${expected}`);
  if (firstId && body.data[0]!.id !== firstId) throw new Error(`${what}: starts at ${body.data[0]!.id}, expected ${firstId}`);
}

async function measureTarget(target: Target, seeded: Seeded): Promise<Results> {
  const server = await startBenchServer(target);
  try {
    const admin = basic(seeded.admin.key, seeded.admin.secret);
    const keysUrl = `${server.url}/iam/v2/api-keys`;
    const n = seeded.size;
    const tokenAt = (position: number) =>
      encodePageToken({ createdAt: seeded.createdAt(position - 1), id: seeded.ids[position - 1]! });
    const middle = Math.floor(n / 2);
    // The last page: 99 seeded keys and the admin's key, created after all of them.
    const end = n - (PAGE - 1);
    const lists = {
      start: `${keysUrl}?page_size=${PAGE}`,
      middle: `${keysUrl}?page_size=${PAGE}&page_token=${tokenAt(middle)}`,
      end: `${keysUrl}?page_size=${PAGE}&page_token=${tokenAt(end)}`,
      owner: `${keysUrl}?spec.owner=${seeded.filterOwner.id}&page_size=${PAGE}`,
    };
    await checkPage(lists.start, admin, seeded.ids[0], 'list start');
    await checkPage(lists.middle, admin, seeded.ids[middle], 'list middle');
    await checkPage(lists.end, admin, seeded.ids[end], 'list end');
    await checkPage(lists.owner, admin, undefined, 'list by owner', Math.min(PAGE, seeded.filterOwner.keys));
    const list = (url: string) => () => runWrk({ url, connections: 1, seconds: LIST_SECONDS, headers: { Authorization: admin } });
    const measure = async (label: string, run: () => Promise<WrkFigures>) => {
      checkpoint();
      const m = summarise(await repeat(RUNS, run));
      log(`  ${label.padEnd(40)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50.toFixed(2)} ms  p99 ${m.p99.toFixed(2)} ms  errors ${m.errors}`);
      return m;
    };
    const listStart = await measure('list 100, start', list(lists.start));
    const listMiddle = await measure('list 100, middle', list(lists.middle));
    const listEnd = await measure('list 100, end', list(lists.end));
    const listOwner = await measure('list 100, by owner', list(lists.owner));

    // GETs of keys spread over the whole set, authenticating with seeded Cloud keys in turn.
    const pick = prng(7);
    const targets = Array.from({ length: GET_TARGETS }, () => seeded.ids[Math.floor(pick() * n)]!);
    const auths = seeded.credentials.map((c) => basic(c.key, c.secret));
    const check = await getJson<{ id: string }>(`${keysUrl}/${targets[0]}`, auths[0]!);
    if (check.status !== 200 || check.body.id !== targets[0]) {
      throw new Error(`GET with a seeded key: status ${check.status}: ${JSON.stringify(check.body).slice(0, 500)}`);
    }
    const getScript = join(target.dir, 'get.lua');
    writeFileSync(
      getScript,
      [
        `local ids = {${targets.map((t) => `"${t}"`).join(',')}}`,
        `local auths = {${auths.map((a) => `"${a}"`).join(',')}}`,
        'local i = 0',
        'request = function()',
        '  i = i + 1',
        '  return wrk.format("GET", "/iam/v2/api-keys/" .. ids[(i % #ids) + 1], { ["Authorization"] = auths[(i % #auths) + 1] })',
        'end',
        '',
      ].join('\n'),
    );
    const get = (connections: number) => () => runWrk({ url: server.url, connections, seconds: GET_SECONDS, script: getScript });
    const get1 = await measure('GET key, 1 connection', get(1));
    const get32 = await measure('GET key, 32 connections', get(32));

    // Creations: each run for a new service account, on one of the seeded clusters.
    const cluster = seeded.clusters[0]!;
    let account = 0;
    const create = (connections: number, threads: number) => async () => {
      const sa = await getJson<{ id: string }>(`${server.url}/iam/v2/service-accounts`, admin, {
        method: 'POST',
        body: JSON.stringify({ display_name: `bench-creator-${account++}`, description: 'bench/store' }),
      });
      if (sa.status !== 201 && sa.status !== 202 && sa.status !== 200) {
        throw new Error(`creating a service account: status ${sa.status}: ${JSON.stringify(sa.body).slice(0, 500)}`);
      }
      const body = JSON.stringify({
        spec: {
          display_name: 'bench',
          description: 'bench/store',
          owner: { id: sa.body.id },
          resource: { id: cluster.id, environment: cluster.environmentId },
        },
      });
      const probe = await getJson<{ id?: string }>(keysUrl, admin, { method: 'POST', body });
      if (probe.status !== 202) throw new Error(`creating a key: status ${probe.status}: ${JSON.stringify(probe.body).slice(0, 500)}`);
      const script = join(target.dir, `create-${account}.lua`);
      writeFileSync(script, `wrk.method = "POST"\nwrk.body = '${body}'\nwrk.headers["Content-Type"] = "application/json"\n`);
      return runWrk({ url: keysUrl, connections, threads, seconds: CREATE_SECONDS, headers: { Authorization: admin }, script });
    };
    const create1 = await measure('POST key, 1 connection', create(1, 1));
    const create50 = await measure('POST key, 50 connections', create(50, 2));

    return {
      seedRate: n / seeded.seedSeconds,
      create1,
      create50,
      listStart,
      listMiddle,
      listEnd,
      listOwner,
      get1,
      get32,
      ownerKeys: seeded.filterOwner.keys,
      keysAtEnd: await countKeys(target),
    };
  } finally {
    await server.stop();
  }
}

async function countKeys(target: Target): Promise<number> {
  if (target.backend === 'postgres') {
    return Number((await pgQuery<{ n: string }>(target.databaseUrl, 'select count(*) as n from api_keys'))[0]!.n);
  }
  const db = new BetterSqlite3(target.databaseUrl.slice('sqlite:'.length), { readonly: true });
  try {
    return (db.prepare('select count(*) as n from api_keys').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The table.

const sizeLabel = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));
const whole = (x: number) => Math.round(x).toLocaleString('en');
const msPair = (f: WrkFigures) => `${f.p50.toFixed(2)} / ${f.p99.toFixed(2)} ms`;

async function machine(): Promise<string> {
  const cpu = cpus();
  const parts = [`${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'})`, `node ${process.version}`];
  const sqlite = new BetterSqlite3(':memory:');
  parts.push(`SQLite ${(sqlite.prepare('select sqlite_version() as v').get() as { v: string }).v}`);
  sqlite.close();
  if (backends.includes('postgres')) {
    const [row] = await pgQuery<{ v: string }>(pgBaseUrl, "select current_setting('server_version') as v");
    parts.push(`PostgreSQL ${row!.v}`);
  }
  return parts.join(', ');
}

function table(columns: { label: string; results: Results }[]): string {
  const rows: [string, (r: Results) => string][] = [
    ['seeding: keys/s (Store.insertMany, 10k per transaction)', (r) => whole(r.seedRate)],
    ['POST /iam/v2/api-keys, 1 connection: creations/s', (r) => whole(r.create1.rps)],
    ['  p50 / p99', (r) => msPair(r.create1)],
    ['POST /iam/v2/api-keys, 50 connections: creations/s', (r) => whole(r.create50.rps)],
    ['  p50 / p99', (r) => msPair(r.create50)],
    ['  non-2xx, both creation figures, all runs', (r) => String(r.create1.non2xx + r.create50.non2xx)],
    ['GET page of 100, start (no token): p50 / p99', (r) => msPair(r.listStart)],
    ['GET page of 100, middle: p50 / p99', (r) => msPair(r.listMiddle)],
    ['GET page of 100, end: p50 / p99', (r) => msPair(r.listEnd)],
    ['GET page of 100, spec.owner=sa-… (first page): p50 / p99', (r) => msPair(r.listOwner)],
    ['  keys of that owner', (r) => whole(r.ownerKeys)],
    ['GET /iam/v2/api-keys/{id}, 1 connection: p50 / p99', (r) => msPair(r.get1)],
    ['GET /iam/v2/api-keys/{id}, 32 connections: req/s', (r) => whole(r.get32.rps)],
    ['  p50 / p99', (r) => msPair(r.get32)],
    [
      'errors of the read figures (non-2xx + socket)',
      (r) => String([r.listStart, r.listMiddle, r.listEnd, r.listOwner, r.get1, r.get32].reduce((a, f) => a + f.errors, 0)),
    ],
    ['keys in the database at the end', (r) => whole(r.keysAtEnd)],
  ];
  const header = ['figure', ...columns.map((c) => c.label)];
  const body = rows.map(([label, cell]) => [label, ...columns.map((c) => cell(c.results))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

const columns: { label: string; results: Results }[] = [];
let failed = false;
let about = '';
try {
  about = await machine();
  log(`bench/store: ${about}`);
  for (const backend of backends) {
    for (const size of sizes) {
      checkpoint();
      log(`\n${backend}, ${size.toLocaleString('en')} keys`);
      const target = await prepareTarget(backend, size);
      const seeded = await seed(target);
      log(`  seeded in ${seeded.seedSeconds.toFixed(1)} s (${whole(size / seeded.seedSeconds)} keys/s)`);
      if (flags.keep) log(`  ${target.databaseUrl}; admin ${seeded.admin.id}, key ${seeded.admin.key}:${seeded.admin.secret}`);
      if (backend === 'postgres') await settlePostgres(target.databaseUrl);
      checkpoint();
      const results = await measureTarget(target, seeded);
      columns.push({ label: `${backend} ${sizeLabel(size)}`, results });
      await cleanUp();
    }
  }
} catch (error) {
  failed = true;
  if (!interrupted) process.stderr.write(`bench/store: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  for (const child of servers) child.kill('SIGTERM');
  await cleanUp();
}
if (columns.length > 0) {
  process.stdout.write(
    [
      '',
      `bench/store: ${about}`,
      `wrk -t1 (-t2 at 50 connections); creations ${CREATE_SECONDS} s, pages ${LIST_SECONDS} s at 1 connection, GETs ${GET_SECONDS} s; median of ${RUNS} run${RUNS > 1 ? 's' : ''}; server log level warn${failed ? '; INCOMPLETE' : ''}`,
      '',
      table(columns),
      '',
      '',
    ].join('\n'),
  );
}
process.exit(failed ? 1 : 0);
