import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newSecret } from '../src/domain/secret.js';
import { KEYS_REMOVED } from '../src/services/key-removal.js';
import { basic, unlimited } from './support/harness.js';
import { createTestSchema, describePostgres, type TestSchema } from './support/postgres.js';
import { type ServerProcess, startServer } from './support/process.js';

// Two Keyplane processes on one PostgreSQL schema, as a scaled-out deployment runs them: a key
// issued on one node works on the other at once, and a key removed on one stops working on the
// other within a second, although that node had it cached.
const PROPAGATION_LIMIT_MS = 1000;
const POLL_MS = 10;

interface Credentials {
  key: string;
  secret: string;
}

let schema: TestSchema;
let shared: string;
let a: ServerProcess;
let b: ServerProcess;
const admin: Credentials = { key: 'MULTINODEADMIN01', secret: newSecret(randomBytes) };
const issued: string[] = [admin.secret];

async function request(node: ServerProcess, method: string, path: string, auth: Credentials = admin, body?: unknown) {
  const res = await fetch(`${node.url}${path}`, {
    method,
    headers: { authorization: basic(auth.key, auth.secret), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}

/** Whether `node` accepts the key now, by the cheapest authenticated call. */
async function accepts(node: ServerProcess, credentials: Credentials): Promise<number> {
  return (await request(node, 'GET', '/org/v2/organizations?page_size=1', credentials)).status;
}

async function createServiceAccount(node: ServerProcess, name: string): Promise<string> {
  const res = await request(node, 'POST', '/iam/v2/service-accounts', admin, { display_name: name });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

async function createCloudKey(node: ServerProcess, owner: string): Promise<Credentials> {
  const res = await request(node, 'POST', '/iam/v2/api-keys', admin, { spec: { owner: { id: owner }, resource: { id: 'cloud' } } });
  expect(res.status, res.text).toBe(202);
  issued.push(res.body.spec.secret);
  return { key: res.body.id, secret: res.body.spec.secret };
}

/**
 * Polls `node` every POLL_MS until every key is refused; resolves with the milliseconds from
 * `since` to the answer that showed it, and how many polls that took.
 */
async function timeUntilRefused(
  node: ServerProcess,
  keys: Credentials[],
  since: number,
  giveUpMs = 10_000,
): Promise<{ ms: number; polls: number }> {
  let pending = keys;
  for (let polls = 1; ; polls++) {
    const statuses = await Promise.all(pending.map((k) => accepts(node, k)));
    for (const s of statuses) expect([200, 401]).toContain(s);
    pending = pending.filter((_, i) => statuses[i] !== 401);
    const elapsed = performance.now() - since;
    if (pending.length === 0) return { ms: elapsed, polls };
    if (elapsed > giveUpMs) throw new Error(`still accepted after ${Math.round(elapsed)} ms: ${pending.map((k) => k.key)}`);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

await describePostgres('two Keyplane nodes on one PostgreSQL', () => {
  beforeAll(async () => {
    schema = await createTestSchema();
    shared = mkdtempSync(join(tmpdir(), 'keyplane-multinode-'));
    const env = (node: string) => ({
      KEYPLANE_DATABASE_URL: schema.url,
      KEYPLANE_DATA_DIR: join(shared, node),
      KEYPLANE_PEPPER_FILE: join(shared, 'pepper.json'),
      KEYPLANE_BOOTSTRAP_KEY: admin.key,
      KEYPLANE_BOOTSTRAP_SECRET: admin.secret,
      KEYPLANE_LOG_LEVEL: 'info',
      // The polls below make hundreds of requests a second with one principal's keys.
      ...unlimited,
    });
    // Started together, so that migrations, the pepper file and bootstrap all race.
    const [startedA, startedB] = await Promise.allSettled([startServer(env('a')), startServer(env('b'))]);
    if (startedA.status === 'fulfilled') a = startedA.value;
    if (startedB.status === 'fulfilled') b = startedB.value;
    if (startedA.status === 'rejected') throw startedA.reason;
    if (startedB.status === 'rejected') throw startedB.reason;
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    const logs = [a, b].filter(Boolean).map((node) => node.stdout() + node.stderr());
    await schema?.drop();
    if (shared) rmSync(shared, { recursive: true, force: true });
    for (const secret of issued) for (const log of logs) expect(log.includes(secret), 'a secret reached a log').toBe(false);
  });

  it('both nodes start and share the single organization bootstrap created', async () => {
    const [fromA, fromB] = await Promise.all([a, b].map((n) => request(n, 'GET', '/org/v2/organizations')));
    expect(fromA!.status, fromA!.text).toBe(200);
    expect(fromB!.status, fromB!.text).toBe(200);
    expect(fromA!.body.data).toHaveLength(1);
    expect(fromB!.body.data.map((o: { id: string }) => o.id)).toEqual(fromA!.body.data.map((o: { id: string }) => o.id));
    const [counts] = await sql<Record<string, string>>(
      `select (select count(*) from organizations) as organizations, (select count(*) from users) as users,
              (select count(*) from environments) as environments, (select count(*) from api_keys) as api_keys`,
    );
    expect(counts).toEqual({ organizations: '1', users: '1', environments: '1', api_keys: '1' });
  });

  it('a key created on node A authenticates on node B on the very next request', async () => {
    const owner = await createServiceAccount(a, 'issued-on-a');
    for (let i = 0; i < 5; i++) {
      const key = await createCloudKey(a, owner);
      expect(await accepts(b, key)).toBe(200);
    }
    // And the other way round.
    const key = await createCloudKey(b, owner);
    expect(await accepts(a, key)).toBe(200);
  });

  it(`a key deleted on node A is refused by node B, which had it cached, within ${PROPAGATION_LIMIT_MS} ms`, async () => {
    const owner = await createServiceAccount(a, 'deleted-on-a');
    const delays: number[] = [];
    const polls: number[] = [];
    for (let i = 0; i < 5; i++) {
      const key = await createCloudKey(a, owner);
      expect(await accepts(b, key)).toBe(200);
      expect(await accepts(b, key)).toBe(200);
      expect(await accepts(a, key)).toBe(200);
      const deleted = await request(a, 'DELETE', `/iam/v2/api-keys/${key.key}`);
      expect(deleted.status, deleted.text).toBe(204);
      const committed = performance.now();
      // The deleting node forgets at once; the other is polled from the same moment.
      const [onA, refused] = await Promise.all([accepts(a, key), timeUntilRefused(b, [key], committed)]);
      expect(onA).toBe(401);
      delays.push(refused.ms);
      polls.push(refused.polls);
    }
    const sorted = [...delays].sort((x, y) => x - y);
    console.warn(
      `key deleted on A → refused on B: min ${ms(sorted[0]!)}, median ${ms(sorted[2]!)}, max ${ms(sorted[4]!)} ` +
        `(each: ${delays.map(ms).join(', ')}; polls needed: ${polls.join(', ')})`,
    );
    expect(sorted[4]).toBeLessThanOrEqual(PROPAGATION_LIMIT_MS);
  });

  it(`deleting a service account on node B makes its keys fail on node A within ${PROPAGATION_LIMIT_MS} ms`, async () => {
    const owner = await createServiceAccount(a, 'deleted-on-b');
    const keys = [await createCloudKey(a, owner), await createCloudKey(b, owner), await createCloudKey(a, owner)];
    for (const key of keys) expect(await accepts(a, key)).toBe(200);
    const deleted = await request(b, 'DELETE', `/iam/v2/service-accounts/${owner}`);
    expect(deleted.status, deleted.text).toBe(204);
    const committed = performance.now();
    const [onB, refused] = await Promise.all([Promise.all(keys.map((k) => accepts(b, k))), timeUntilRefused(a, keys, committed)]);
    expect(onB).toEqual([401, 401, 401]);
    console.warn(`service account deleted on B → its ${keys.length} keys refused on A after ${ms(refused.ms)} (${refused.polls} polls)`);
    expect(refused.ms).toBeLessThanOrEqual(PROPAGATION_LIMIT_MS);
  });

  it('a removal whose live message is lost reaches the other node through the notifications table', async () => {
    const owner = await createServiceAccount(a, 'lost-message');
    const key = await createCloudKey(a, owner);
    expect(await accepts(b, key)).toBe(200);
    // Removed behind Keyplane's back: no NOTIFY. Node B keeps answering from its cache…
    await sql('delete from api_keys where id = $1', [key.key]);
    expect(await accepts(b, key)).toBe(200);
    // …until its periodic resync (every 5 s) reads the notification row.
    await sql('insert into notifications (id, channel, payload, created_at) values ($1, $2, $3, $4)', [
      randomBytes(16).toString('hex'),
      KEYS_REMOVED,
      key.key,
      new Date().toISOString(),
    ]);
    const written = performance.now();
    const refused = await timeUntilRefused(b, [key], written, 8_000);
    console.warn(`removal without a live message → refused on B after ${ms(refused.ms)} (resync every 5 s)`);
  }, 15_000);
});
