import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, capturedLogs, issuedSecrets, startTestKeyplane, type TestKeyplane } from './support/harness.js';
import { createThrowawayPostgres, describeThrowawayPostgres, type ThrowawayPostgres } from './support/throwaway-postgres.js';

// The database goes away under a running Keyplane (a clean shutdown, a crash with writes in
// flight, a hang) and comes back: every management call answers 503 with a Failure body meanwhile,
// promptly, the same server serves again without a restart, and nothing is half-written.

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
  ms: number;
}

/**
 * Rows and a digest of their content per table: equal snapshots mean nothing was written. The
 * audit log is left out: refused calls are recorded there, as they should be.
 */
type Snapshot = Record<string, { rows: number; digest: string }>;

const RECOVERY_LIMIT_MS = 30_000;
/** What POST /iam/v2/api-keys answers on success, as Confluent does. */
const KEY_CREATED = 202;
const POLL_MS = 200;
/** A hung database must not hang a caller: a few seconds of connection and query timeouts, with a margin. */
const FROZEN_ANSWER_LIMIT_MS = 15_000;

function printTimings(title: string, timings: [string, number][]): void {
  const lines = timings.map(([what, ms]) => `  ${what.padEnd(52)} ${ms.toFixed(1).padStart(8)} ms`);
  console.warn(`${title}\n${lines.join('\n')}`);
}

await describeThrowawayPostgres('database outage', () => {
  let db: ThrowawayPostgres;
  let kp: TestKeyplane;

  beforeAll(async () => {
    db = await createThrowawayPostgres();
    await db.start();
    kp = await startTestKeyplane({
      KEYPLANE_DATABASE_URL: db.url,
      KEYPLANE_QUOTAS: 'iam.max_cloud_api_keys.per_service_account=100000,iam.max_cloud_api_keys.per_org=100000',
    });
  }, 120_000);

  afterAll(async () => {
    db?.resume();
    await kp?.close();
    await db?.destroy();
  }, 60_000);

  /** A request through the app, timed; unlike `kp.call` it lets a 5xx through for the test to judge. */
  async function request(
    method: string,
    path: string,
    options: { body?: unknown; auth?: { key: string; secret: string } | false } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    const auth = options.auth === undefined ? kp.admin : options.auth;
    if (auth) headers.authorization = basic(auth.key, auth.secret);
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const started = performance.now();
    const res = await kp.keyplane.app.request(`${kp.publicUrl}${path}`, { method, headers, body });
    const text = await res.text();
    const ms = performance.now() - started;
    const parsed = text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
    const secret = parsed?.spec?.secret;
    if (typeof secret === 'string') issuedSecrets.add(secret);
    return { status: res.status, headers: res.headers, body: parsed, text, ms };
  }

  function expectUnavailable(what: string, answer: Answer): void {
    expect(answer.status, `${what} → ${answer.status}: ${answer.text}`).toBe(503);
    expect(answer.body, `${what} carries a Failure body`).toMatchObject({
      errors: [{ status: '503', code: 'database_unavailable', detail: expect.any(String) }],
    });
    expect(answer.headers.get('retry-after'), `${what} says when to retry`).toMatch(/^\d+$/);
    expect(answer.headers.get('x-request-id'), `${what} has X-Request-Id`).toBeTruthy();
  }

  /** Reads the throwaway database directly, not through Keyplane. */
  async function direct<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  function snapshot(): Promise<Snapshot> {
    return direct(async (client) => {
      const tables = (
        await client.query<{ name: string }>(
          `select table_name as name from information_schema.tables
           where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'kysely_%'
             and table_name not like 'audit_%'
           order by table_name`,
        )
      ).rows.map((r) => r.name);
      const result: Snapshot = {};
      for (const table of tables) {
        const row = (
          await client.query<{ rows: string; digest: string }>(
            `select count(*) as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as digest from "${table}" t`,
          )
        ).rows[0]!;
        result[table] = { rows: Number(row.rows), digest: row.digest };
      }
      return result;
    });
  }

  /** Polls a cheap management call until it answers 200; only 503 is acceptable meanwhile. */
  async function waitForRecovery(): Promise<{ ms: number; polls: number }> {
    const started = performance.now();
    for (let polls = 1; ; polls++) {
      const answer = await request('GET', '/iam/v2/service-accounts?page_size=1');
      if (answer.status === 200) return { ms: performance.now() - started, polls };
      expectUnavailable('a call while the database comes back', answer);
      if (performance.now() - started > RECOVERY_LIMIT_MS) {
        throw new Error(`Keyplane did not recover within ${RECOVERY_LIMIT_MS} ms of PostgreSQL starting again`);
      }
      await new Promise((done) => setTimeout(done, POLL_MS));
    }
  }

  /** Every key of `owner`, across pages. */
  async function listKeys(owner: string): Promise<{ id: string; spec: { display_name: string } }[]> {
    const keys: { id: string; spec: { display_name: string } }[] = [];
    let path: string | undefined = `/iam/v2/api-keys?spec.owner=${owner}&page_size=100`;
    while (path) {
      const page: { status: number; body: any } = await kp.call('GET', path);
      expect(page.status).toBe(200);
      keys.push(...page.body.data);
      const next: string | undefined = page.body.metadata.next;
      path = next ? next.slice(kp.publicUrl.length) : undefined;
    }
    return keys;
  }

  it('answers 503 to every management call while PostgreSQL is down, writes nothing, and recovers on its own', async () => {
    const sa = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'outage-app', description: 'before' } });
    expect(sa.status).toBe(201);
    const saId: string = sa.body.id;
    const key = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: saId }, display_name: 'outage-key' } } });
    expect(key.status).toBe(KEY_CREATED);
    const keyId: string = key.body.id;
    const keySecret: string = key.body.spec.secret;
    const listed = await kp.call('GET', '/iam/v2/api-keys');
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((k: { id: string }) => k.id)).toContain(keyId);
    const accountsBefore = (await kp.call('GET', '/iam/v2/service-accounts')).body.metadata.total_size;
    const keysBefore = listed.body.metadata.total_size;
    // The server under test uses the throwaway cluster, not the harness's schema on the shared one.
    const stored = await direct((c) => c.query('select id from service_accounts where id = $1', [saId]));
    expect(stored.rowCount, 'the KEYPLANE_DATABASE_URL passed to the harness wins').toBe(1);
    const before = await snapshot();
    expect((await request('GET', '/healthz')).status).toBe(200);

    await db.stop('fast');

    const calls: [string, string, string, unknown?][] = [
      ['list service accounts', 'GET', '/iam/v2/service-accounts'],
      ['get a service account', 'GET', `/iam/v2/service-accounts/${saId}`],
      ['create a service account', 'POST', '/iam/v2/service-accounts', { display_name: 'during-outage' }],
      ['update a service account', 'PATCH', `/iam/v2/service-accounts/${saId}`, { description: 'during outage' }],
      ['list API keys', 'GET', '/iam/v2/api-keys'],
      ['get an API key', 'GET', `/iam/v2/api-keys/${keyId}`],
      ['create an API key', 'POST', '/iam/v2/api-keys', { spec: { owner: { id: saId }, display_name: 'during-outage' } }],
      ['update an API key', 'PATCH', `/iam/v2/api-keys/${keyId}`, { spec: { description: 'during outage' } }],
      ['delete an API key', 'DELETE', `/iam/v2/api-keys/${keyId}`],
      ['delete a service account', 'DELETE', `/iam/v2/service-accounts/${saId}`],
      ['list environments', 'GET', '/org/v2/environments'],
    ];
    const timings: [string, number][] = [];
    for (const [what, method, path, body] of calls) {
      const answer = await request(method, path, body === undefined ? {} : { body });
      expectUnavailable(`${what} (${method} ${path})`, answer);
      timings.push([`${method} ${path}`, answer.ms]);
    }

    // The admin key was used moments ago, so it authenticated from the cache and the service call
    // met the outage. A key this node has not verified yet needs the database even to authenticate:
    // that is a 503 too, never a 401 that would tell the caller its key is bad.
    const unknown = await request('GET', '/iam/v2/api-keys', { auth: { key: 'ZZZZZZZZZZZZZZZ9', secret: kp.admin.secret } });
    expectUnavailable('a call with a key id this node has not seen', unknown);
    timings.push(['GET /iam/v2/api-keys (unknown key id)', unknown.ms]);
    const unverified = await request('GET', `/iam/v2/api-keys/${keyId}`, { auth: { key: keyId, secret: keySecret } });
    expectUnavailable('a call with a real key this node has not verified yet', unverified);
    timings.push(['GET /iam/v2/api-keys/{id} (key not yet cached)', unverified.ms]);
    // A wrong secret for a cached key is decided from memory: that answer needs no database.
    const wrong = await request('GET', '/iam/v2/api-keys', { auth: { key: kp.admin.key, secret: keySecret } });
    expect(wrong.status, wrong.text).toBe(401);

    const health = await request('GET', '/healthz', { auth: false });
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ database: 'unreachable' });
    timings.push(['GET /healthz', health.ms]);
    printTimings('503 latency with PostgreSQL stopped (connection timeout is 5000 ms):', timings);

    const restartedAt = performance.now();
    await db.start();
    const startMs = performance.now() - restartedAt;
    const recovery = await waitForRecovery();
    console.warn(
      `PostgreSQL start took ${startMs.toFixed(0)} ms; Keyplane answered 200 again ${recovery.ms.toFixed(0)} ms later (${recovery.polls} poll(s))`,
    );

    expect(await snapshot(), 'the calls made during the outage changed nothing').toEqual(before);
    expect((await kp.call('GET', '/iam/v2/service-accounts')).body.metadata.total_size).toBe(accountsBefore);
    expect((await kp.call('GET', '/iam/v2/api-keys')).body.metadata.total_size).toBe(keysBefore);
    expect((await kp.call('GET', `/iam/v2/service-accounts/${saId}`)).body.description).toBe('before');
    expect((await kp.call('GET', `/iam/v2/api-keys/${keyId}`, { auth: { key: keyId, secret: keySecret } })).status).toBe(200);
    expect((await request('GET', '/healthz', { auth: false })).status).toBe(200);
    // Writes work again, on the same server.
    expect((await kp.call('PATCH', `/iam/v2/service-accounts/${saId}`, { body: { description: 'after' } })).status).toBe(200);

    const warnings = capturedLogs.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn');
    expect(warnings.some((l) => l.msg === 'database unavailable' && typeof l.cause === 'string')).toBe(true);
  }, 90_000);

  // If Vitest reports "Uncaught Exception: Connection terminated unexpectedly" (or ECONNRESET)
  // during this test, a pg client checked out of the pool lost its connection and emitted 'error'
  // with nobody listening: in a real server process that kills the process.
  it('leaves no half-written key when PostgreSQL crashes with creates in flight', async () => {
    await db.start();
    await waitForRecovery();
    const owner = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'crash-app' } });
    expect(owner.status).toBe(201);
    const ownerId: string = owner.body.id;

    interface Attempt {
      n: number;
      startedBeforeCrash: boolean;
      status: number;
      id?: string;
      secret?: string;
      text: string;
    }
    const attempts: Attempt[] = [];
    let crashing = false;
    let created = 0;
    let counter = 0;
    const workers = 8;
    const deadline = performance.now() + 30_000;

    async function worker(): Promise<void> {
      while (performance.now() < deadline) {
        const n = counter++;
        const startedBeforeCrash = !crashing;
        const answer = await request('POST', '/iam/v2/api-keys', {
          body: { spec: { owner: { id: ownerId }, display_name: `crash-${n}` } },
        });
        attempts.push({ n, startedBeforeCrash, status: answer.status, id: answer.body?.id, secret: answer.body?.spec?.secret, text: answer.text });
        if (answer.status === KEY_CREATED) created++;
        // Once the crash is under way, one 503 each is enough: the in-flight ones are what matter.
        if (answer.status !== KEY_CREATED && crashing) return;
        if (answer.status !== KEY_CREATED && answer.status !== 503) return;
      }
    }

    const running = Array.from({ length: workers }, () => worker());
    while (created < 24 && performance.now() < deadline) await new Promise((done) => setTimeout(done, 5));
    crashing = true;
    const crashStarted = performance.now();
    await db.stop('immediate');
    const crashMs = performance.now() - crashStarted;
    await Promise.all(running);

    const unexpected = attempts.filter((a) => a.status !== KEY_CREATED && a.status !== 503).map(({ secret: _, ...a }) => a);
    expect(unexpected, `every create answers ${KEY_CREATED} or 503`).toEqual([]);
    const succeeded = attempts.filter((a) => a.status === KEY_CREATED);
    const refused = attempts.filter((a) => a.status === 503);
    const inFlight = attempts.filter((a) => a.startedBeforeCrash && a.status === 503);
    console.warn(
      `crash: ${attempts.length} creates, ${succeeded.length} answered ${KEY_CREATED}, ${refused.length} answered 503 ` +
        `(${inFlight.length} of them sent before the crash); pg_ctl stop -m immediate took ${crashMs.toFixed(0)} ms`,
    );
    expect(refused.length).toBeGreaterThan(0);

    const restartedAt = performance.now();
    await db.start();
    const recovery = await waitForRecovery();
    console.warn(`after the crash: PostgreSQL restarted and Keyplane answered 200 ${(performance.now() - restartedAt).toFixed(0)} ms later`);

    const keys = await listKeys(ownerId);
    const byName = new Map(keys.map((k) => [k.spec.display_name, k.id]));
    // A connection lost while COMMIT was under way leaves the caller a 503 for a change that did
    // commit, whole: no server can know better. Such a key must be complete, like every other.
    const refusedButStored = refused.filter((a) => byName.has(`crash-${a.n}`));
    if (refusedButStored.length > 0) console.warn(`${refusedButStored.length} create(s) answered 503 while their COMMIT went through`);
    expect(refusedButStored.length, 'only creates in flight at the crash may have committed').toBeLessThanOrEqual(inFlight.length);
    const lost = succeeded.filter((a) => byName.get(`crash-${a.n}`) !== a.id).map((a) => `crash-${a.n} (${a.id})`);
    expect(lost, `a create that answered ${KEY_CREATED} has no key`).toEqual([]);
    expect(keys).toHaveLength(succeeded.length + refusedButStored.length);
    // Nothing half-written: the owner's quota counter, kept in the same transactions, agrees.
    const quotaCounter = await kp.keyplane.services.store.get('counters', `quota:iam.max_cloud_api_keys.per_service_account:${ownerId}`);
    expect(quotaCounter?.value).toBe(keys.length);

    // The keys that were answered are whole: their secrets authenticate.
    for (const a of succeeded.slice(-3)) {
      const self = await kp.call('GET', `/iam/v2/api-keys/${a.id}`, { auth: { key: a.id!, secret: a.secret! } });
      expect(self.status).toBe(200);
    }
    expect(recovery.ms).toBeLessThan(RECOVERY_LIMIT_MS);
  }, 90_000);

  it('answers 503 within a bounded time when PostgreSQL hangs instead of refusing, and recovers', async () => {
    await db.start();
    await waitForRecovery();
    // Warm the pool so that open connections exist: a hung server does not close them.
    await Promise.all(Array.from({ length: 4 }, () => kp.call('GET', '/iam/v2/service-accounts')));
    const before = await snapshot();

    const limitMs = FROZEN_ANSWER_LIMIT_MS;
    type Outcome = { what: string; answer?: Answer; ms: number };
    const pending = new Map<string, Promise<Answer>>();
    const outcomes: Outcome[] = [];
    try {
      db.pause();
      const calls: [string, string, string, unknown?][] = [
        ['list service accounts', 'GET', '/iam/v2/service-accounts'],
        ['list API keys', 'GET', '/iam/v2/api-keys'],
        ['create a service account', 'POST', '/iam/v2/service-accounts', { display_name: 'during-freeze' }],
        ['health', 'GET', '/healthz'],
      ];
      await Promise.all(
        calls.map(async ([what, method, path, body]) => {
          const started = performance.now();
          const call = request(method, path, body === undefined ? {} : { body });
          pending.set(what, call);
          const answer = await Promise.race([call, new Promise<undefined>((done) => setTimeout(() => done(undefined), limitMs))]);
          outcomes.push({ what: `${method} ${path}`, ...(answer ? { answer } : {}), ms: performance.now() - started });
        }),
      );
    } finally {
      db.resume();
    }
    printTimings(
      `answers with PostgreSQL frozen (SIGSTOP; connection timeout 5000 ms, limit ${limitMs} ms):`,
      outcomes.map((o) => [`${o.what} → ${o.answer?.status ?? 'no answer'}`, o.ms]),
    );
    // Calls that hung finish once the server goes on; let them, so that nothing outlives the test.
    const late = await Promise.all(pending.values());
    const recovery = await waitForRecovery();
    console.warn(`after the freeze: Keyplane answered 200 ${recovery.ms.toFixed(0)} ms after PostgreSQL went on`);

    const hung = outcomes.filter((o) => !o.answer).map((o) => o.what);
    expect(hung, `calls still unanswered after ${limitMs} ms (a query on an open connection waits forever)`).toEqual([]);
    for (const o of outcomes) {
      if (o.what === 'GET /healthz') {
        expect(o.answer!.status).toBe(503);
        expect(o.answer!.body).toMatchObject({ database: 'unreachable' });
      } else {
        expectUnavailable(o.what, o.answer!);
      }
    }
    expect(late.every((a) => a.status < 500 || a.status === 503)).toBe(true);
    expect(await snapshot(), 'the calls refused during the freeze changed nothing').toEqual(before);
  }, 90_000);

  it('logs the outage as a warning, with no stack traces and no errors', () => {
    const lines = capturedLogs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.level === 'warn' && l.msg === 'database unavailable')).toBe(true);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([]);
    expect(capturedLogs.filter((l) => /\bat .+:\d+:\d+\)?/.test(l) || l.includes('"stack"'))).toEqual([]);
  });
});
