import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp.close());

const BASE = '/iam/v2/service-accounts';

async function createAccount(displayName: string, description?: string) {
  const res = await kp.call('POST', BASE, { body: { display_name: displayName, description } });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; display_name: string; description: string };
}

async function totalAccounts(): Promise<number> {
  return (await kp.call('GET', BASE)).body.metadata.total_size;
}

describe('service accounts', () => {
  it('creates, reads, updates and deletes an account', async () => {
    const res = await kp.call('POST', BASE, {
      body: { display_name: 'orders-app', description: 'Writes orders', kind: 'ServiceAccount', unknown: 1 },
    });
    expect(res.status).toBe(201);
    const id: string = res.body.id;
    expect(id).toMatch(/^sa-[a-z0-9]{6}$/);
    expect(res.headers.get('location')).toBe(`${kp.publicUrl}${BASE}/${id}`);
    expect((await kp.call('GET', `${BASE}/${id.toUpperCase()}`)).body.id).toBe(id);
    expect(res.body).toMatchObject({
      api_version: 'iam/v2',
      kind: 'ServiceAccount',
      display_name: 'orders-app',
      description: 'Writes orders',
      metadata: { self: `${kp.publicUrl}${BASE}/${id}`, resource_name: expect.stringContaining(`/service-account=${id}`) },
    });

    const got = await kp.call('GET', `${BASE}/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);

    const patched = await kp.call('PATCH', `${BASE}/${id}`, { body: { description: 'Writes all orders', display_name: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ display_name: 'orders-app', description: 'Writes all orders' });

    const renamed = await kp.call('PATCH', `${BASE}/${id}`, { body: { display_name: 'orders-writer' } });
    expect(renamed.body).toMatchObject({ display_name: 'orders-writer', description: 'Writes all orders' });

    expect((await kp.call('DELETE', `${BASE}/${id}`)).status).toBe(204);
    expect((await kp.call('GET', `${BASE}/${id}`)).status).toBe(404);
  });

  it('creates with only a display name; the description is empty', async () => {
    const account = await createAccount('no-description');
    expect(account.description).toBe('');
  });

  it('lists with paging and filters on repeated display names', async () => {
    const a = await createAccount('filter-a');
    const b = await createAccount('filter-b');
    await createAccount('filter-c');

    const both = await kp.call('GET', `${BASE}?display_name=filter-a&display_name=filter-b`);
    expect(both.status).toBe(200);
    expect(both.body.kind).toBe('ServiceAccountList');
    expect(both.body.metadata.total_size).toBe(2);
    expect(both.body.data.map((x: { id: string }) => x.id).sort()).toEqual([a.id, b.id].sort());

    const none = await kp.call('GET', `${BASE}?display_name=filter`);
    expect(none.body.data).toEqual([]);

    const all = await totalAccounts();
    const empty = await kp.call('GET', `${BASE}?display_name=`);
    expect(empty.body.metadata.total_size).toBe(all);

    const seen: string[] = [];
    let next: string | undefined = `${BASE}?page_size=2`;
    while (next) {
      const page: Reply = await kp.call('GET', next);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((x: { id: string }) => x.id));
      next = page.body.metadata.next?.slice(kp.publicUrl.length);
    }
    expect(seen.length).toBe(all);
    expect(new Set(seen).size).toBe(all);
  });

  it('refuses a display name in use with 409 and the existing account as Location', async () => {
    const first = await createAccount('taken-name');
    const before = await totalAccounts();
    const res = await kp.call('POST', BASE, { body: { display_name: 'taken-name' } });
    expect(res.status).toBe(409);
    expect(res.body.errors[0].code).toBe('resource_already_exists');
    expect(res.body.errors[0].detail).toContain('Service name is already in use');
    expect(res.headers.get('location')).toContain(`${BASE}/${first.id}`);
    expect(await totalAccounts()).toBe(before);
  });

  it('refuses a rename to a taken name with 409 and leaves the account unchanged', async () => {
    await createAccount('rename-target');
    const other = await createAccount('rename-source');
    const res = await kp.call('PATCH', `${BASE}/${other.id}`, { body: { display_name: 'rename-target' } });
    expect(res.status).toBe(409);
    expect(res.body.errors[0].detail).toContain('Service name is already in use');
    expect((await kp.call('GET', `${BASE}/${other.id}`)).body.display_name).toBe('rename-source');

    const same = await kp.call('PATCH', `${BASE}/${other.id}`, { body: { display_name: 'rename-source' } });
    expect(same.status).toBe(200);
  });

  it('lets exactly one of 50 concurrent creates with one name win', async () => {
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => kp.call('POST', BASE, { body: { display_name: 'racing-name' } })),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const listed = await kp.call('GET', `${BASE}?display_name=racing-name`);
    expect(listed.body.metadata.total_size).toBe(1);
  });

  it('refuses bad input with 400 and a pointer, and creates nothing', async () => {
    const before = await totalAccounts();
    const cases: [unknown, string][] = [
      [{ display_name: 'x'.repeat(65) }, '/display_name'],
      [{ display_name: 'bad\u0007name' }, '/display_name'],
      [{ display_name: 'ok', description: 'line\nbreak' }, '/description'],
      [{ display_name: 'ok', description: 'd'.repeat(129) }, '/description'],
      [{ display_name: 42 }, '/display_name'],
      [{ display_name: 'ok', description: ['x'] }, '/description'],
      [{}, '/display_name'],
      [{ display_name: null }, '/display_name'],
      [{ display_name: '   ' }, '/display_name'],
    ];
    for (const [body, pointer] of cases) {
      const res = await kp.call('POST', BASE, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors[0].source?.pointer, JSON.stringify(body)).toBe(pointer);
    }
    expect((await kp.call('POST', BASE, { raw: '{"display_name":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await kp.call('POST', BASE, { body: ['x'] })).status).toBe(400);
    expect(await totalAccounts()).toBe(before);
    expect(await createAccount('x'.repeat(64))).toMatchObject({ display_name: 'x'.repeat(64) });
  });

  it('refuses a bad PATCH and leaves the account unchanged', async () => {
    const account = await createAccount('patch-checks', 'kept');
    for (const body of [{ display_name: '' }, { description: 7 }, { description: 'x'.repeat(129) }]) {
      const res = await kp.call('PATCH', `${BASE}/${account.id}`, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors[0].source.pointer).toMatch(/^\/(display_name|description)$/);
    }
    expect((await kp.call('GET', `${BASE}/${account.id}`)).body).toMatchObject({ display_name: 'patch-checks', description: 'kept' });
  });

  it('answers 404 service_account_not_found for an unknown id', async () => {
    for (const [method, body] of [['GET'], ['PATCH', { description: 'x' }], ['DELETE']] as const) {
      const res = await kp.call(method, `${BASE}/sa-nope00`, { body });
      expect(res.status, method).toBe(404);
      expect(res.body.errors[0].code).toBe('service_account_not_found');
    }
  });

  it('refuses callers without valid credentials', async () => {
    const none = await kp.call('GET', BASE, { auth: false });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await kp.call('POST', BASE, { auth: { key: kp.admin.key, secret: 'x'.repeat(64) }, body: { display_name: 'never' } });
    expect(wrong.status).toBe(401);
    expect((await kp.call('GET', `${BASE}?display_name=never`)).body.metadata.total_size).toBe(0);
  });

  it("deletes the account's API keys with it", async () => {
    const account = await createAccount('with-keys');
    const key = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: account.id } } } });
    expect(key.status).toBe(202);
    const keyId: string = key.body.id;
    expect((await kp.call('GET', `/iam/v2/api-keys/${keyId}`)).status).toBe(200);

    expect((await kp.call('DELETE', `${BASE}/${account.id}`)).status).toBe(204);
    expect((await kp.call('GET', `/iam/v2/api-keys/${keyId}`)).status).toBe(404);
    const login = await kp.call('GET', BASE, { auth: { key: keyId, secret: key.body.spec.secret } });
    expect(login.status).toBe(401);
  });
});

describe('service account quota', () => {
  let limited: TestKeyplane;
  beforeAll(async () => {
    limited = await startTestKeyplane({ KEYPLANE_QUOTAS: 'iam.max_service_accounts.per_org=3' });
  });
  afterAll(() => limited.close());

  it('refuses the create past the limit with 402 naming the quota', async () => {
    for (const name of ['q1', 'q2', 'q3']) {
      expect((await limited.call('POST', BASE, { body: { display_name: name } })).status).toBe(201);
    }
    const res = await limited.call('POST', BASE, { body: { display_name: 'q4' } });
    expect(res.status).toBe(402);
    expect(res.body.errors[0].code).toBe('quota_exceeded');
    expect(res.body.errors[0].detail).toContain('iam.max_service_accounts.per_org');
    expect((await limited.call('GET', BASE)).body.metadata.total_size).toBe(3);
  });
});
