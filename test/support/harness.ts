import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type ConfigInput, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createKeyplane, type Keyplane } from '../../src/server.js';
import { checkAgainstSpec } from './openapi.js';
import { createTestSchema, type TestSchema } from './postgres.js';

/** Which database the API tests run on: the vitest project sets it (see vitest.config.ts). */
export const testBackend: 'sqlite' | 'postgres' = process.env.KEYPLANE_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/** A fresh database for one test server: a temporary SQLite file, or a new PostgreSQL schema. */
export async function freshDatabase(): Promise<{ env: ConfigInput; drop(): Promise<void> }> {
  if (testBackend === 'sqlite') return { env: {}, drop: async () => {} };
  const schema: TestSchema = await createTestSchema();
  return { env: { KEYPLANE_DATABASE_URL: schema.url }, drop: () => schema.drop() };
}

/**
 * Every log line any in-process server wrote during this test file, and every secret any
 * response handed out; setup.ts checks after each file that no secret reached the log.
 */
export const capturedLogs: string[] = [];
export const issuedSecrets = new Set<string>();

/** The secrets (shown masked) that occur anywhere in the log lines. */
export function findLeakedSecrets(logs: readonly string[], secrets: Iterable<string>): string[] {
  const log = logs.join('');
  return [...secrets].filter((s) => log.includes(s)).map((s) => `${s.slice(0, 8)}…`);
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** A raw body string, sent as is. */
  raw?: string;
  /** `false` sends no Authorization; a pair sends Basic; a string is the whole header. */
  auth?: { key: string; secret: string } | string | false;
  headers?: Record<string, string>;
  /** Skip the Confluent schema check (for deliberately odd requests). */
  skipSpec?: boolean;
}

export interface TestKeyplane {
  keyplane: Keyplane;
  admin: { key: string; secret: string; userId: string; email: string; password: string };
  publicUrl: string;
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  close(): Promise<void>;
}

/** The stored CloudEvents of every audit record, as stored. */
async function allAuditData(keyplane: Keyplane): Promise<string[]> {
  const { store } = keyplane.services;
  const data: string[] = [];
  let after: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await store.list('auditEvents', {}, { limit: 1000, total: false, ...(after ? { after } : {}) });
    data.push(...page.items.map((e) => e.data));
    if (!page.next) return data;
    after = page.next;
  }
}

export function basic(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

/**
 * Rate limits too high for any test to meet; a test of the limits sets its own through `env`.
 * Under `app.request()` every request comes from the same (unknown) address.
 */
export const unlimited = {
  KEYPLANE_RATE_LIMIT_PER_MINUTE: '1000000',
  KEYPLANE_RATE_LIMIT_BURST: '1000000',
  KEYPLANE_AUTH_FAILURES_PER_MINUTE: '1000000',
  KEYPLANE_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '1000000',
} satisfies ConfigInput;

/**
 * An in-process Keyplane on a fresh database (SQLite in a temporary directory, or a PostgreSQL
 * schema when the suite runs on PostgreSQL). Requests go
 * through `app.request()`; every JSON response of a path that Confluent's specs describe is
 * checked against them, and a mismatch fails the test.
 */
export async function startTestKeyplane(env: ConfigInput = {}): Promise<TestKeyplane> {
  const dir = mkdtempSync(join(tmpdir(), 'keyplane-test-'));
  const publicUrl = 'http://keyplane.test:8080';
  const database = await freshDatabase();
  const config = loadConfig({
    KEYPLANE_DATA_DIR: dir,
    KEYPLANE_PUBLIC_URL: publicUrl,
    KEYPLANE_LOG_LEVEL: 'debug',
    ...unlimited,
    ...database.env,
    ...env,
  });
  const logger = createLogger('debug', (line) => {
    capturedLogs.push(line);
  });
  const keyplane = await createKeyplane(config, logger).catch(async (error) => {
    await database.drop();
    throw error;
  });
  const initial = keyplane.initialCredentials!;
  issuedSecrets.add(initial.secret);
  issuedSecrets.add(initial.password);
  const admin = { key: initial.key, secret: initial.secret, userId: initial.adminId, email: initial.adminEmail, password: initial.password };

  async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const auth = options.auth === undefined ? admin : options.auth;
    if (auth) headers.authorization = typeof auth === 'string' ? auth : basic(auth.key, auth.secret);
    let body: string | undefined = options.raw;
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await keyplane.app.request(`${publicUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    if (text && res.headers.get('content-type')?.includes('json')) parsed = JSON.parse(text);
    const secret = (parsed as { spec?: { secret?: unknown } } | undefined)?.spec?.secret;
    if (typeof secret === 'string') issuedSecrets.add(secret);
    // Console session tokens and their CSRF tokens are secrets too.
    const session = /keyplane_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    if (session) issuedSecrets.add(session);
    const csrf = (parsed as { csrf_token?: unknown } | undefined)?.csrf_token;
    if (typeof csrf === 'string') issuedSecrets.add(csrf);
    const link = /#token=([A-Za-z0-9_-]+)$/.exec(String((parsed as { url?: unknown } | undefined)?.url ?? ''))?.[1];
    if (link) issuedSecrets.add(link);
    expect(res.headers.get('x-request-id'), `${method} ${path} has X-Request-Id`).toBeTruthy();
    expect(res.status, `${method} ${path} never answers 500: ${text}`).toBeLessThan(500);
    if (res.status >= 400) {
      expect(parsed, `${method} ${path} → ${res.status} carries a Failure body`).toMatchObject({
        errors: [{ status: String(res.status), code: expect.any(String), detail: expect.any(String) }],
      });
    }
    if (!options.skipSpec) {
      const check = checkAgainstSpec(method, path, res.status, parsed);
      expect(check.errors, `${method} ${path} → ${res.status} matches Confluent's OpenAPI schema`).toEqual([]);
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  return {
    keyplane,
    admin,
    publicUrl,
    call,
    async close() {
      // Everything this server recorded is written, then read back: no secret handed out in the
      // test file (right or wrong ones alike) may be in any audit event.
      await keyplane.audit.flush();
      const events = await allAuditData(keyplane);
      await keyplane.close();
      expect(findLeakedSecrets(events, issuedSecrets), 'secrets found in the audit log').toEqual([]);
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
