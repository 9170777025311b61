import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';

let kp: TestKeyplane;
let orgId: string;
beforeAll(async () => {
  kp = await startTestKeyplane();
  orgId = kp.keyplane.services.orgId;
});
afterAll(() => kp.close());


function expectOrganization(body: any) {
  expect(body).toEqual({
    api_version: 'org/v2',
    kind: 'Organization',
    id: orgId,
    metadata: {
      self: `${kp.publicUrl}/org/v2/organizations/${orgId}`,
      resource_name: `crn://confluent.cloud/organization=${orgId}`,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    },
    display_name: expect.stringMatching(/^[^<>#%'*^`{|}~"]{1,31}$/),
    keyplane_in_use_guard: expect.any(Boolean),
    keyplane_leak_policy: expect.stringMatching(/^(revoke|notify)$/),
  });
}

describe('organizations', () => {
  it('lists the one organization', async () => {
    const res = await kp.call('GET', '/org/v2/organizations');
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('OrganizationList');
    expect(res.body.metadata.total_size).toBe(1);
    expect(res.body.metadata.first).toBe(`${kp.publicUrl}/org/v2/organizations`);
    expect(res.body.metadata.next).toBeUndefined();
    expectOrganization(res.body.data[0]);
  });

  it('reads the organization by id, case-insensitively, and 404s any other id', async () => {
    expectOrganization((await kp.call('GET', `/org/v2/organizations/${orgId}`)).body);
    expect((await kp.call('GET', `/org/v2/organizations/${orgId.toUpperCase()}`)).body.id).toBe(orgId);
    const res = await kp.call('GET', '/org/v2/organizations/00000000-0000-0000-0000-000000000000');
    expect(res.status).toBe(404);
    expect(res.body.errors[0].code).toBe('organization_not_found');
  });

  it('renames the organization', async () => {
    const res = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body: { display_name: 'Acme', jit_enabled: true } });
    expect(res.status).toBe(200);
    expectOrganization(res.body);
    expect(res.body.display_name).toBe('Acme');
    expect((await kp.call('GET', `/org/v2/organizations/${orgId}`)).body.display_name).toBe('Acme');
    const unchanged = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body: { display_name: null } });
    expect(unchanged.body.display_name).toBe('Acme');
  });

  it('refuses bad renames and changes nothing', async () => {
    const cases: Array<[unknown, number, string, string | undefined]> = [
      [{ display_name: 5 }, 400, 'bad_request', '/display_name'],
      [{ display_name: '' }, 400, 'bad_request', '/display_name'],
      [{ display_name: 'x'.repeat(32) }, 400, 'bad_request', '/display_name'],
      [{ display_name: 'a<b' }, 422, 'invalid_configuration', '/display_name'],
    ];
    for (const [body, status, code, pointer] of cases) {
      const res = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.errors[0]).toMatchObject({ code, source: { pointer } });
    }
    const malformed = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { raw: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].code).toBe('invalid_json');
    const unknown = await kp.call('PATCH', '/org/v2/organizations/nope', { body: { display_name: 'Other' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0].code).toBe('organization_not_found');
    expect((await kp.call('GET', `/org/v2/organizations/${orgId}`)).body.display_name).toBe('Acme');
  });

  it("changes Keyplane's in-use guard (off by default) only with a valid request", async () => {
    expect((await kp.call('GET', `/org/v2/organizations/${orgId}`)).body.keyplane_in_use_guard).toBe(false);
    const refused = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body: { display_name: 'a<b', keyplane_in_use_guard: true } });
    expect(refused.status).toBe(422);
    expect((await kp.call('GET', `/org/v2/organizations/${orgId}`)).body.keyplane_in_use_guard).toBe(false);
    const on = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body: { keyplane_in_use_guard: true } });
    expect(on.status).toBe(200);
    expectOrganization(on.body);
    expect(on.body).toMatchObject({ display_name: 'Acme', keyplane_in_use_guard: true });
    const off = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body: { keyplane_in_use_guard: false } });
    expect(off.body.keyplane_in_use_guard).toBe(false);
  });

  it("changes Keyplane's leak policy (revoke by default) only to revoke or notify", async () => {
    expect((await kp.call('GET', `/org/v2/organizations/${orgId}`)).body.keyplane_leak_policy).toBe('revoke');
    const notify = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body: { keyplane_leak_policy: 'notify' } });
    expect(notify.status).toBe(200);
    expectOrganization(notify.body);
    expect(notify.body).toMatchObject({ display_name: 'Acme', keyplane_leak_policy: 'notify' });
    expect((await kp.call('GET', `/org/v2/organizations/${orgId}`)).body.keyplane_leak_policy).toBe('notify');
    expect((await kp.call('GET', '/org/v2/organizations')).body.data[0].keyplane_leak_policy).toBe('notify');
    const untouched = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body: { keyplane_in_use_guard: false, keyplane_leak_policy: null } });
    expect(untouched.body.keyplane_leak_policy).toBe('notify');
    for (const bad of ['delete', 'REVOKE', '', 1, true]) {
      const res = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body: { display_name: 'Changed', keyplane_leak_policy: bad } });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'bad_request', source: { pointer: '/keyplane_leak_policy' } });
    }
    const current = (await kp.call('GET', `/org/v2/organizations/${orgId}`)).body;
    expect(current).toMatchObject({ display_name: 'Acme', keyplane_leak_policy: 'notify' });
    const revoke = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body: { keyplane_leak_policy: 'revoke' } });
    expect(revoke.body.keyplane_leak_policy).toBe('revoke');
  });

  it('needs valid credentials', async () => {
    const none = await kp.call('GET', '/org/v2/organizations', { auth: false });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, {
      auth: { key: kp.admin.key, secret: 'not-the-secret' },
      body: { display_name: 'Hijacked' },
    });
    expect(wrong.status).toBe(401);
    expect((await kp.call('GET', `/org/v2/organizations/${orgId}`)).body.display_name).toBe('Acme');
  });
});
