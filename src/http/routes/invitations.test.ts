import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp.close());

const DAY_MS = 24 * 60 * 60 * 1000;

async function totals(): Promise<[number, number]> {
  const invitations = await kp.call('GET', '/iam/v2/invitations');
  const users = await kp.call('GET', '/iam/v2/users');
  return [invitations.body.metadata.total_size, users.body.metadata.total_size];
}

describe('invitations', () => {
  it('invites: a user exists at once and the invitation references it', async () => {
    const res = await kp.call('POST', '/iam/v2/invitations', { body: { email: 'Grace@Example.com', id: 'i-ignored', status: 'x' } });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    expect(id).toMatch(/^i-[a-z0-9]{5}$/);
    expect(res.headers.get('location')).toBe(`${kp.publicUrl}/iam/v2/invitations/${id}`);
    const userId = res.body.user.id as string;
    expect(userId).toMatch(/^u-[a-z0-9]{6}$/);
    const org = kp.keyplane.services.orgId;
    expect(res.body).toMatchObject({
      api_version: 'iam/v2',
      kind: 'Invitation',
      email: 'grace@example.com',
      auth_type: 'AUTH_TYPE_LOCAL',
      status: 'INVITE_STATUS_SENT',
      metadata: {
        self: `${kp.publicUrl}/iam/v2/invitations/${id}`,
        resource_name: `crn://confluent.cloud/organization=${org}/invitation=${id}`,
      },
      user: {
        id: userId,
        related: `${kp.publicUrl}/iam/v2/users/${userId}`,
        resource_name: `crn://confluent.cloud/organization=${org}/user=${userId}`,
      },
      creator: { id: kp.admin.userId, related: `${kp.publicUrl}/iam/v2/users/${kp.admin.userId}` },
    });
    expect(res.body.accepted_at).toBeUndefined();
    expect(Date.parse(res.body.expires_at) - Date.parse(res.body.metadata.created_at)).toBe(30 * DAY_MS);

    const user = await kp.call('GET', `/iam/v2/users/${userId}`);
    expect(user.body).toMatchObject({ email: 'grace@example.com', full_name: '', auth_type: 'AUTH_TYPE_LOCAL' });
    const key = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: userId } } } });
    expect(key.status).toBe(202);

    const read = await kp.call('GET', `/iam/v2/invitations/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
  });

  it('invites an SSO user', async () => {
    const res = await kp.call('POST', '/iam/v2/invitations', { body: { email: 'sso@example.com', auth_type: 'AUTH_TYPE_SSO' } });
    expect(res.status).toBe(201);
    expect(res.body.auth_type).toBe('AUTH_TYPE_SSO');
    expect((await kp.call('GET', `/iam/v2/users/${res.body.user.id}`)).body.auth_type).toBe('AUTH_TYPE_SSO');
  });

  it('answers an email that already has a user with 409 and the user as Location', async () => {
    const first = await kp.call('POST', '/iam/v2/invitations', { body: { email: 'twice@example.com' } });
    const before = await totals();
    const again = await kp.call('POST', '/iam/v2/invitations', { body: { email: 'TWICE@example.com' } });
    expect(again.status).toBe(409);
    expect(again.body.errors[0].code).toBe('resource_already_exists');
    expect(again.headers.get('location')).toBe(`${kp.publicUrl}/iam/v2/users/${first.body.user.id}`);
    const admin = await kp.call('POST', '/iam/v2/invitations', { body: { email: 'admin@keyplane.local' } });
    expect(admin.status).toBe(409);
    expect(admin.headers.get('location')).toBe(`${kp.publicUrl}/iam/v2/users/${kp.admin.userId}`);
    expect(await totals()).toEqual(before);
  });

  it('refuses bad invitations and changes nothing', async () => {
    const before = await totals();
    const cases: Array<[unknown, number, string, string]> = [
      [{}, 400, 'bad_request', '/email'],
      [{ email: 5 }, 400, 'bad_request', '/email'],
      [{ email: null }, 400, 'bad_request', '/email'],
      [{ email: 'not-an-email' }, 400, 'bad_request', '/email'],
      [{ email: '' }, 400, 'bad_request', '/email'],
      [{ email: `${'x'.repeat(250)}@example.com` }, 400, 'bad_request', '/email'],
      [{ email: 'ok@example.com', auth_type: true }, 400, 'bad_request', '/auth_type'],
      [{ email: 'ok@example.com', auth_type: 'AUTH_TYPE_MAGIC' }, 422, 'invalid_configuration', '/auth_type'],
    ];
    for (const [body, status, code, pointer] of cases) {
      const res = await kp.call('POST', '/iam/v2/invitations', { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.errors[0]).toMatchObject({ code, source: { pointer } });
    }
    const malformed = await kp.call('POST', '/iam/v2/invitations', { raw: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].code).toBe('invalid_json');
    expect(await totals()).toEqual(before);
  });

  it('lists with filters and pages', async () => {
    const created = await kp.call('POST', '/iam/v2/invitations', { body: { email: 'filter@example.com' } });
    const byEmail = await kp.call('GET', '/iam/v2/invitations?email=FILTER@example.com');
    expect(byEmail.body).toMatchObject({ kind: 'InvitationList', metadata: { total_size: 1 } });
    expect(byEmail.body.data[0].id).toBe(created.body.id);
    const byUser = await kp.call('GET', `/iam/v2/invitations?user=${created.body.user.id}&email=&status=`);
    expect(byUser.body.data.map((i: { id: string }) => i.id)).toEqual([created.body.id]);
    const byCreator = await kp.call('GET', `/iam/v2/invitations?creator=${kp.admin.userId}&status=INVITE_STATUS_SENT`);
    const [all] = await totals();
    expect(byCreator.body.metadata.total_size).toBe(all);
    expect((await kp.call('GET', '/iam/v2/invitations?status=INVITE_STATUS_ACCEPTED')).body.data).toEqual([]);

    const first = await kp.call('GET', '/iam/v2/invitations?page_size=1');
    const next = new URL(first.body.metadata.next);
    expect(next.searchParams.get('page_size')).toBe('1');
    const second = await kp.call('GET', `${next.pathname}${next.search}`);
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
    expect((await kp.call('GET', '/iam/v2/invitations?page_size=0')).status).toBe(400);
  });

  it('withdraws an invitation and keeps the user', async () => {
    const res = await kp.call('POST', '/iam/v2/invitations', { body: { email: 'withdrawn@example.com' } });
    const del = await kp.call('DELETE', `/iam/v2/invitations/${res.body.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await kp.call('GET', `/iam/v2/invitations/${res.body.id}`)).status).toBe(404);
    expect((await kp.call('GET', `/iam/v2/users/${res.body.user.id}`)).status).toBe(200);
  });

  it('404s an unknown invitation', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await kp.call(method, '/iam/v2/invitations/i-nope0');
      expect(res.status, method).toBe(404);
      expect(res.body.errors[0].code).toBe('invitation_not_found');
    }
  });

  it('needs valid credentials and changes nothing without them', async () => {
    const before = await totals();
    const none = await kp.call('POST', '/iam/v2/invitations', { auth: false, body: { email: 'sneaky@example.com' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await kp.call('POST', '/iam/v2/invitations', {
      auth: { key: kp.admin.key, secret: 'not-the-secret' },
      body: { email: 'sneaky@example.com' },
    });
    expect(wrong.status).toBe(401);
    expect((await kp.call('GET', '/iam/v2/invitations', { auth: false })).status).toBe(401);
    expect(await totals()).toEqual(before);
  });
});
