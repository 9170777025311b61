import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHENTICATION_EVENT_TYPE } from '../src/audit/cloud-event.js';
import { type Caller, callerFor } from '../src/services/access.js';
import type { ServiceContext } from '../src/services/context.js';
import { getKeyUsage, getPrincipalUsage, usageWindow } from '../src/services/key-usage.js';
import { deleteServiceAccount } from '../src/services/service-accounts.js';
import { createKafkaCluster, createKey, defaultEnvironment, type KeyPair } from './support/data-plane.js';
import { startTestKeyplane, type TestKeyplane } from './support/harness.js';
import { addPrincipal } from './support/principals.js';

const DAY = 86_400_000;

let kp: TestKeyplane;
let admin: Caller;
beforeAll(async () => {
  kp = await startTestKeyplane();
  admin = await callerFor(kp.keyplane.services, { via: 'key', principalId: kp.admin.userId, principalKind: 'User', keyId: kp.admin.key });
});
afterAll(() => kp?.close());

/** The services with their clock moved by `ms`. */
function later(ms: number): ServiceContext {
  return { ...kp.keyplane.services, now: () => new Date(Date.now() + ms) };
}

async function serviceAccount(name: string): Promise<string> {
  const res = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: name, description: '' } });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** Authenticates once against the management API (the call itself may be refused). */
async function manage(pair: KeyPair): Promise<void> {
  const res = await kp.call('GET', '/iam/v2/service-accounts', { auth: pair });
  expect(res.status).not.toBe(401);
}

async function wrongSecret(key: string): Promise<void> {
  const res = await kp.call('GET', '/iam/v2/service-accounts', { auth: { key, secret: `cflt${'A'.repeat(60)}` } });
  expect(res.status).toBe(401);
}

/** Whether /v1/verify finds the pair valid for `resource`. */
async function verify(pair: KeyPair, resource: string): Promise<boolean> {
  const res = await kp.call('POST', '/v1/verify', { body: { ...pair, resource }, skipSpec: true });
  expect(res.status).toBe(200);
  return res.body.valid;
}

/** The latest successful authentication of `keyId` as stored, read the slow way. */
async function storedLatest(keyId: string): Promise<string | null> {
  const { store } = kp.keyplane.services;
  const rows = [];
  let after: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await store.list(
      'auditEvents',
      { keyId, type: AUTHENTICATION_EVENT_TYPE, result: 'success' },
      { limit: 500, total: false, ...(after ? { after } : {}) },
    );
    rows.push(...page.items);
    if (!page.next) break;
    after = page.next;
  }
  return rows.at(-1)?.createdAt ?? null;
}

describe('GET /audit/v1/key-usage', () => {
  let sa: string;
  let cloud: KeyPair;
  let cluster: string;
  let kafka: KeyPair;

  beforeAll(async () => {
    sa = await serviceAccount('usage-sa');
    cloud = await createKey(kp, sa);
    const env = await defaultEnvironment(kp);
    cluster = await createKafkaCluster(kp, env);
    kafka = await createKey(kp, sa, { id: cluster, environment: env });
  });

  it('counts successful and failed authentications of a key, from the management API and /v1/verify', async () => {
    const before = await kp.call('GET', `/audit/v1/key-usage?key=${cloud.key}`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ key: cloud.key, last_authenticated_at: null, authentications: 0, failures: 0 });

    for (let i = 0; i < 3; i++) await manage(cloud);
    await wrongSecret(cloud.key);
    expect(await verify(kafka, cluster)).toBe(true);
    expect(await verify(kafka, cluster)).toBe(true);
    expect(await verify({ key: kafka.key, secret: `cflt${'B'.repeat(60)}` }, cluster)).toBe(false);
    await kp.keyplane.audit.flush();

    const usage = await kp.call('GET', `/audit/v1/key-usage?key=${cloud.key}`);
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({
      api_version: 'audit/v1',
      kind: 'KeyUsage',
      window: { days: 30 },
      key: cloud.key,
      authentications: 3,
      failures: 1,
    });
    expect(usage.body.last_authenticated_at).toBe(await storedLatest(cloud.key));
    expect(usage.body.last_authenticated_at).not.toBeNull();

    const dataPlane = await kp.call('GET', `/audit/v1/key-usage?key=${kafka.key.toLowerCase()}&days=1`);
    expect(dataPlane.body).toMatchObject({ key: kafka.key, window: { days: 1 }, authentications: 2, failures: 1 });
    expect(dataPlane.body.last_authenticated_at).toBe(await storedLatest(kafka.key));
  });

  it('answers for a principal: each of its keys and the principal overall', async () => {
    const res = await kp.call('GET', `/audit/v1/key-usage?principal=${sa}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'PrincipalKeyUsage', principal: sa, authentications: 5, failures: 2 });
    const keys = Object.fromEntries(res.body.keys.map((k: { key: string }) => [k.key, k]));
    expect(Object.keys(keys).sort()).toEqual([cloud.key, kafka.key].sort());
    expect(keys[cloud.key]).toMatchObject({ authentications: 3, failures: 1 });
    expect(keys[kafka.key]).toMatchObject({ authentications: 2, failures: 1 });
    const latest = [keys[cloud.key].last_authenticated_at, keys[kafka.key].last_authenticated_at].sort().at(-1);
    expect(res.body.last_authenticated_at).toBe(latest);
  });

  it('finds the latest of many authentications spread over time', async () => {
    const pair = await createKey(kp, await serviceAccount('usage-many'));
    for (let i = 0; i < 12; i++) {
      await manage(pair);
      if (i % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await kp.keyplane.audit.flush();
    const usage = await getKeyUsage(kp.keyplane.services, admin, pair.key, usageWindow(kp.keyplane.services));
    expect(usage.authentications).toBe(12);
    expect(usage.lastAuthenticatedAt).toBe(await storedLatest(pair.key));
  });

  it('counts only the window, and keeps the last authentication beyond it', async () => {
    const month = later(31 * DAY);
    const outside = await getKeyUsage(month, admin, cloud.key, usageWindow(month));
    expect(outside).toMatchObject({ authentications: 0, failures: 0, lastAuthenticatedAt: await storedLatest(cloud.key) });
    const wide = await getKeyUsage(month, admin, cloud.key, usageWindow(month, 40));
    expect(wide).toMatchObject({ authentications: 3, failures: 1 });
    const principal = await getPrincipalUsage(month, admin, sa, usageWindow(month));
    expect(principal).toMatchObject({ authentications: 0, failures: 0 });
    expect(principal.lastAuthenticatedAt).not.toBeNull();
  });

  it('refuses bad parameters with a Failure naming the parameter', async () => {
    for (const [query, parameter] of [
      ['', 'key'],
      [`key=${cloud.key}&principal=${sa}`, 'principal'],
      [`key=${cloud.key}&days=0`, 'days'],
      [`key=${cloud.key}&days=401`, 'days'],
      [`key=${cloud.key}&days=1.5`, 'days'],
      [`key=${cloud.key}&days=-3`, 'days'],
      ['principal=env-abc123', 'principal'],
    ] as const) {
      const res = await kp.call('GET', `/audit/v1/key-usage?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.errors[0].source, query).toEqual({ parameter });
    }
    expect((await kp.call('GET', `/audit/v1/key-usage?key=${cloud.key}&days=400`)).status).toBe(200);
  });

  it('answers unknown ids with 404, as the key and principal endpoints do', async () => {
    const key = await kp.call('GET', '/audit/v1/key-usage?key=ZZZZZZZZZZZZZZZZ');
    expect(key.status).toBe(404);
    expect(key.body.errors[0].code).toBe('api_key_not_found');
    const account = await kp.call('GET', '/audit/v1/key-usage?principal=sa-zzzzzz');
    expect(account.status).toBe(404);
    expect(account.body.errors[0].code).toBe('service_account_not_found');
    const user = await kp.call('GET', '/audit/v1/key-usage?principal=u-zzzzzz');
    expect(user.status).toBe(404);
    expect(user.body.errors[0].code).toBe('user_not_found');
  });

  it('shows a key or principal only to whoever may read it', async () => {
    const outsider = await addPrincipal(kp, 'service-account');
    const key = await kp.call('GET', `/audit/v1/key-usage?key=${cloud.key}`, { auth: outsider.auth });
    expect(key.status).toBe(404);
    expect(key.body.errors[0].code).toBe('api_key_not_found');
    expect((await kp.call('GET', `/iam/v2/api-keys/${cloud.key}`, { auth: outsider.auth })).status).toBe(404);
    const principal = await kp.call('GET', `/audit/v1/key-usage?principal=${sa}`, { auth: outsider.auth });
    expect(principal.status).toBe(403);
    expect((await kp.call('GET', `/iam/v2/service-accounts/${sa}`, { auth: outsider.auth })).status).toBe(403);

    const own = await kp.call('GET', `/audit/v1/key-usage?principal=${outsider.id}`, { auth: outsider.auth });
    expect(own.status).toBe(200);
    expect(own.body.keys.map((k: { key: string }) => k.key)).toEqual([outsider.key]);
    expect(own.body.keys[0].authentications).toBe(0);
  });
});

describe('the in-use guard', () => {
  const org = () => `/org/v2/organizations/${kp.keyplane.services.orgId}`;

  async function usedAccount(name: string): Promise<{ id: string; pair: KeyPair }> {
    const id = await serviceAccount(name);
    const pair = await createKey(kp, id);
    await manage(pair);
    await kp.keyplane.audit.flush();
    return { id, pair };
  }

  it('is off by default: deleting a principal whose keys are in use answers 204', async () => {
    const read = await kp.call('GET', org());
    expect(read.status).toBe(200);
    expect(read.body.keyplane_in_use_guard).toBe(false);
    const { id } = await usedAccount('guard-off');
    expect((await kp.call('DELETE', `/iam/v2/service-accounts/${id}`)).status).toBe(204);
  });

  it('is an organization setting, shown on read', async () => {
    const on = await kp.call('PATCH', org(), { body: { keyplane_in_use_guard: true } });
    expect(on.status).toBe(200);
    expect(on.body.keyplane_in_use_guard).toBe(true);
    expect((await kp.call('GET', org())).body.keyplane_in_use_guard).toBe(true);
    const renamed = await kp.call('PATCH', org(), { body: { display_name: 'Renamed' } });
    expect(renamed.body).toMatchObject({ display_name: 'Renamed', keyplane_in_use_guard: true });
    const bad = await kp.call('PATCH', org(), { body: { keyplane_in_use_guard: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].source).toEqual({ pointer: '/keyplane_in_use_guard' });
  });

  it('refuses deleting a service account whose keys were used, naming them, and deletes nothing', async () => {
    const { id, pair } = await usedAccount('guard-sa');
    const idle = await createKey(kp, id);
    const res = await kp.call('DELETE', `/iam/v2/service-accounts/${id}`, { skipSpec: true });
    expect(res.status).toBe(409);
    expect(res.body.errors[0].code).toBe('principal_in_use');
    const detail: string = res.body.errors[0].detail;
    expect(detail).toContain(pair.key);
    expect(detail).toContain((await storedLatest(pair.key))!);
    expect(detail).not.toContain(idle.key);
    expect(detail).toContain('force=true');
    expect((await kp.call('GET', `/iam/v2/service-accounts/${id}`)).status).toBe(200);
    expect((await kp.call('GET', `/iam/v2/api-keys/${pair.key}`)).status).toBe(200);

    expect((await kp.call('DELETE', `/iam/v2/service-accounts/${id}?force=maybe`)).status).toBe(400);
    expect((await kp.call('DELETE', `/iam/v2/service-accounts/${id}?force=true`)).status).toBe(204);
    expect((await kp.call('GET', `/iam/v2/service-accounts/${id}`)).status).toBe(404);
    expect((await kp.call('GET', `/iam/v2/api-keys/${pair.key}`)).status).toBe(404);
  });

  it('refuses deleting a user whose keys were used unless forced', async () => {
    const invited = await kp.call('POST', '/iam/v2/invitations', { body: { email: 'guarded@example.com' } });
    const userId: string = invited.body.user.id;
    const pair = await createKey(kp, userId);
    await manage(pair);
    await kp.keyplane.audit.flush();
    const res = await kp.call('DELETE', `/iam/v2/users/${userId}`, { skipSpec: true });
    expect(res.status).toBe(409);
    expect(res.body.errors[0].detail).toContain(pair.key);
    expect((await kp.call('GET', `/iam/v2/users/${userId}`)).status).toBe(200);
    expect((await kp.call('DELETE', `/iam/v2/users/${userId}?force=true`)).status).toBe(204);
    expect((await kp.call('GET', `/iam/v2/users/${userId}`)).status).toBe(404);
  });

  it('lets a principal go when its keys were never used, or not in the last 7 days', async () => {
    const unused = await serviceAccount('guard-unused');
    await createKey(kp, unused);
    expect((await kp.call('DELETE', `/iam/v2/service-accounts/${unused}`)).status).toBe(204);

    const { id } = await usedAccount('guard-stale');
    await expect(deleteServiceAccount(later(6 * DAY), admin, id)).rejects.toMatchObject({ code: 'principal_in_use' });
    await deleteServiceAccount(later(8 * DAY), admin, id);
    expect((await kp.call('GET', `/iam/v2/service-accounts/${id}`)).status).toBe(404);
  });

  it('is off again once switched off', async () => {
    expect((await kp.call('PATCH', org(), { body: { keyplane_in_use_guard: false } })).body.keyplane_in_use_guard).toBe(false);
    const { id } = await usedAccount('guard-off-again');
    expect((await kp.call('DELETE', `/iam/v2/service-accounts/${id}`)).status).toBe(204);
  });
});
