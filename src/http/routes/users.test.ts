import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { crns, grant } from '../../../test/support/principals.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp.close());

async function invite(email: string): Promise<string> {
  const res = await kp.call('POST', '/iam/v2/invitations', { body: { email } });
  expect(res.status).toBe(201);
  return res.body.user.id;
}

async function cloudKey(ownerId: string): Promise<{ key: string; secret: string }> {
  const res = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: ownerId } } } });
  expect(res.status).toBe(202);
  return { key: res.body.id, secret: res.body.spec.secret };
}

describe('users', () => {
  it('lists and reads the admin user', async () => {
    const list = await kp.call('GET', '/iam/v2/users');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ api_version: 'iam/v2', kind: 'UserList', metadata: { total_size: 1 } });
    const res = await kp.call('GET', `/iam/v2/users/${kp.admin.userId}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(list.body.data[0]);
    expect(res.body).toMatchObject({
      api_version: 'iam/v2',
      kind: 'User',
      id: kp.admin.userId,
      email: 'admin@keyplane.local',
      auth_type: 'AUTH_TYPE_LOCAL',
      metadata: {
        self: `${kp.publicUrl}/iam/v2/users/${kp.admin.userId}`,
        resource_name: `crn://confluent.cloud/organization=${kp.keyplane.services.orgId}/user=${kp.admin.userId}`,
      },
    });
  });

  it('pages the list', async () => {
    await invite('pager@example.com');
    const first = await kp.call('GET', '/iam/v2/users?page_size=1');
    expect(first.body.data).toHaveLength(1);
    expect(first.body.metadata.total_size).toBeGreaterThanOrEqual(2);
    const next = new URL(first.body.metadata.next);
    const second = await kp.call('GET', `${next.pathname}${next.search}`);
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
  });

  it('changes a full name and nothing else', async () => {
    const id = await invite('rename@example.com');
    const res = await kp.call('PATCH', `/iam/v2/users/${id}`, {
      body: { full_name: 'Ada Lovelace', email: 'other@example.com', auth_type: 'AUTH_TYPE_SSO' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, full_name: 'Ada Lovelace', email: 'rename@example.com', auth_type: 'AUTH_TYPE_LOCAL' });
    const same = await kp.call('PATCH', `/iam/v2/users/${id}`, { body: { full_name: null } });
    expect(same.body.full_name).toBe('Ada Lovelace');
  });

  it('refuses bad updates and changes nothing', async () => {
    const id = await invite('strict@example.com');
    const before = (await kp.call('GET', `/iam/v2/users/${id}`)).body;
    for (const body of [{ full_name: 12 }, { full_name: 'x'.repeat(129) }, { full_name: 'a\u202eb' }]) {
      const res = await kp.call('PATCH', `/iam/v2/users/${id}`, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'bad_request', source: { pointer: '/full_name' } });
    }
    const malformed = await kp.call('PATCH', `/iam/v2/users/${id}`, { raw: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].code).toBe('invalid_json');
    expect((await kp.call('GET', `/iam/v2/users/${id}`)).body).toEqual(before);
  });

  it('404s an unknown user on every method', async () => {
    for (const [method, body] of [['GET'], ['PATCH', { full_name: 'x' }], ['DELETE']] as const) {
      const res = await kp.call(method, '/iam/v2/users/u-nope00', { body });
      expect(res.status, method).toBe(404);
      expect(res.body.errors[0].code).toBe('user_not_found');
    }
  });

  it('deletes a user with its keys, role bindings and invitation', async () => {
    const invited = await kp.call('POST', '/iam/v2/invitations', { body: { email: 'leaver@example.com' } });
    const id = invited.body.user.id as string;
    const { key } = await cloudKey(id);
    const { store } = kp.keyplane.services;
    await store.insert('roleBindings', {
      id: 'rb-leave1',
      principal: `User:${id}`,
      roleName: 'EnvironmentAdmin',
      crnPattern: kp.keyplane.services.crn.organization(),
      createdAt: new Date().toISOString(),
    });

    const res = await kp.call('DELETE', `/iam/v2/users/${id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await kp.call('GET', `/iam/v2/users/${id}`)).status).toBe(404);
    expect((await kp.call('GET', `/iam/v2/api-keys/${key}`)).status).toBe(404);
    expect((await kp.call('GET', `/iam/v2/invitations/${invited.body.id}`)).status).toBe(404);
    expect(await store.get('roleBindings', 'rb-leave1')).toBeUndefined();
    expect(await store.get('roleBindings', (await store.find('roleBindings', { principal: `User:${kp.admin.userId}` }))!.id)).toBeDefined();
    expect((await kp.call('DELETE', `/iam/v2/users/${id}`)).status).toBe(404);
  });

  it('needs valid credentials', async () => {
    const none = await kp.call('GET', '/iam/v2/users', { auth: false });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await kp.call('DELETE', '/iam/v2/users/u-nope00', { auth: { key: kp.admin.key, secret: 'not-the-secret' } });
    expect(wrong.status).toBe(401);
  });

  it('refuses to let a caller delete their own user', async () => {
    const id = await invite('self@example.com');
    const own = await cloudKey(id);
    await grant(kp, `User:${id}`, [{ role: 'OrganizationAdmin', crn: crns(kp).organization() }]);
    const res = await kp.call('DELETE', `/iam/v2/users/${id}`, { auth: own });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe('bad_request');
    expect(res.body.errors[0].detail).toContain('cannot delete themselves');
    const admin = await kp.call('DELETE', `/iam/v2/users/${kp.admin.userId}`);
    expect(admin.status).toBe(400);
    expect((await kp.call('GET', `/iam/v2/users/${id}`)).status).toBe(200);
    expect((await kp.call('GET', `/iam/v2/api-keys/${own.key}`)).status).toBe(200);
    expect((await kp.call('GET', `/iam/v2/users/${kp.admin.userId}`)).status).toBe(200);

    expect((await kp.call('DELETE', `/iam/v2/users/${kp.admin.userId}`, { auth: own })).status).toBe(204);
    expect((await kp.call('GET', `/iam/v2/users/${kp.admin.userId}`, { auth: own })).status).toBe(404);
    const gone = await kp.call('GET', '/iam/v2/users', { auth: kp.admin });
    expect(gone.status).toBe(401);
  });
});
