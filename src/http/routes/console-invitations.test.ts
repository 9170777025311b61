import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuedSecrets, startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { addPrincipal, crns } from '../../../test/support/principals.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp.close());

async function invite(email: string): Promise<{ id: string; expires_at: string; user: { id: string } }> {
  const res = await kp.call('POST', '/iam/v2/invitations', { body: { email } });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function link(invitationId: string): Promise<{ token: string; url: string; expires_at: string }> {
  const res = await kp.call('POST', `/console/v1/invitations/${invitationId}/link`);
  expect(res.status, res.text).toBe(201);
  const token = /#token=([A-Za-z0-9_-]+)$/.exec(res.body.url)![1]!;
  issuedSecrets.add(token);
  return { token, ...res.body };
}

function password(label: string): string {
  const value = `${label}-password-123`;
  issuedSecrets.add(value);
  return value;
}

describe('invitation links', () => {
  it('creates a link, previews it, accepts it once, and the user signs in with the new password', async () => {
    const invitation = await invite('newcomer@example.com');
    const made = await link(invitation.id);
    expect(made.url).toBe(`${kp.publicUrl}/accept-invitation#token=${made.token}`);
    expect(made.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(made.expires_at).toBe(invitation.expires_at);
    const stored = await kp.keyplane.services.store.get('invitations', invitation.id);
    expect(stored!.linkHash).not.toBe(made.token);
    expect(stored!.linkHash).not.toContain(made.token);

    const preview = await kp.call('POST', '/console/v1/invitations/preview', { auth: false, body: { token: made.token } });
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ email: 'newcomer@example.com', expires_at: invitation.expires_at });

    const secret = password('newcomer');
    const accepted = await kp.call('POST', '/console/v1/invitations/accept', {
      auth: false,
      body: { token: made.token, password: secret, full_name: 'New Comer' },
    });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body).toMatchObject({
      user: { id: invitation.user.id, email: 'newcomer@example.com', full_name: 'New Comer' },
      organization_id: kp.keyplane.services.orgId,
      csrf_token: expect.any(String),
    });
    const cookie = accepted.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^keyplane_session=[A-Za-z0-9_-]{43};.*HttpOnly/);
    const session = await kp.call('GET', '/console/v1/session', { auth: false, headers: { cookie: cookie.split(';')[0]! } });
    expect(session.body.user.id).toBe(invitation.user.id);

    const after = await kp.call('GET', `/iam/v2/invitations/${invitation.id}`);
    expect(after.body).toMatchObject({ status: 'INVITE_STATUS_ACCEPTED', accepted_at: expect.any(String) });
    expect((await kp.keyplane.services.store.get('invitations', invitation.id))!.linkHash).toBeNull();

    const signedIn = await kp.call('POST', '/console/v1/sign-in', { auth: false, body: { email: 'newcomer@example.com', password: secret } });
    expect(signedIn.status).toBe(200);

    const again = await kp.call('POST', '/console/v1/invitations/accept', { auth: false, body: { token: made.token, password: password('again') } });
    expect(again.status).toBe(404);
    expect(again.body.errors[0].code).toBe('invitation_link_invalid');
    expect((await kp.call('POST', '/console/v1/invitations/preview', { auth: false, body: { token: made.token } })).status).toBe(404);
    const closed = await kp.call('POST', `/console/v1/invitations/${invitation.id}/link`);
    expect(closed.status).toBe(409);
    expect(closed.body.errors[0].code).toBe('invitation_closed');
  });

  it('replaces an outstanding link with a new one', async () => {
    const invitation = await invite('relinked@example.com');
    const first = await link(invitation.id);
    const second = await link(invitation.id);
    expect((await kp.call('POST', '/console/v1/invitations/preview', { auth: false, body: { token: first.token } })).status).toBe(404);
    expect((await kp.call('POST', '/console/v1/invitations/preview', { auth: false, body: { token: second.token } })).status).toBe(200);
  });

  it('lets only one of two concurrent accepts of a link through', async () => {
    const invitation = await invite('racer@example.com');
    const made = await link(invitation.id);
    const [a, b] = await Promise.all(
      ['a', 'b'].map((n) => kp.call('POST', '/console/v1/invitations/accept', { auth: false, body: { token: made.token, password: password(`racer-${n}`) } })),
    );
    expect([a!.status, b!.status].sort()).toEqual([200, 404]);
  });

  it('gives one answer for unknown, malformed and expired links', async () => {
    const invitation = await invite('late@example.com');
    const made = await link(invitation.id);
    const services = kp.keyplane.services;
    const realNow = services.now;
    services.now = () => new Date(Date.parse(invitation.expires_at) + 1000);
    try {
      const expired = await kp.call('POST', '/console/v1/invitations/preview', { auth: false, body: { token: made.token } });
      expect(expired.status).toBe(404);
      const accept = await kp.call('POST', '/console/v1/invitations/accept', { auth: false, body: { token: made.token, password: password('late') } });
      expect(accept.status).toBe(404);
      const relink = await kp.call('POST', `/console/v1/invitations/${invitation.id}/link`);
      expect(relink.status).toBe(409);
      expect(relink.body.errors[0].code).toBe('invitation_closed');
    } finally {
      services.now = realNow;
    }
    for (const token of ['A'.repeat(43), 'short', `${made.token}x`]) {
      const reply = await kp.call('POST', '/console/v1/invitations/preview', { auth: false, body: { token } });
      expect(reply.status).toBe(404);
      expect(reply.body.errors[0].code).toBe('invitation_link_invalid');
    }
  });

  it('refuses hostile accept bodies with a 400 naming the field, and spends nothing', async () => {
    const invitation = await invite('careful@example.com');
    const made = await link(invitation.id);
    const cases: Array<[unknown, string]> = [
      [{ token: 7, password: password('careful') }, '/token'],
      [{ token: made.token }, '/password'],
      [{ token: made.token, password: 'too-short' }, '/password'],
      [{ token: made.token, password: 'p'.repeat(257) }, '/password'],
      [{ token: made.token, password: password('careful'), full_name: 5 }, '/full_name'],
      [{ token: made.token, password: password('careful'), full_name: 'x'.repeat(129) }, '/full_name'],
      [{ token: made.token, password: password('careful'), full_name: 'bell\u0007' }, '/full_name'],
    ];
    for (const [body, pointer] of cases) {
      const reply = await kp.call('POST', '/console/v1/invitations/accept', { auth: false, body });
      expect(reply.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(reply.body.errors[0].source).toEqual({ pointer });
    }
    expect((await kp.call('POST', '/console/v1/invitations/preview', { auth: false, body: {} })).body.errors[0].source).toEqual({ pointer: '/token' });
    expect((await kp.call('POST', '/console/v1/invitations/preview', { auth: false, body: { token: made.token } })).status).toBe(200);
  });

  it('lets only callers who may create invitations make links; 404 for an unknown invitation', async () => {
    const invitation = await invite('guarded@example.com');
    const nobody = await addPrincipal(kp, 'service-account');
    const refused = await kp.call('POST', `/console/v1/invitations/${invitation.id}/link`, { auth: nobody.auth });
    expect(refused.status).toBe(403);
    const admin = await addPrincipal(kp, 'service-account', [{ role: 'OrganizationAdmin', crn: crns(kp).organization() }]);
    const allowed = await kp.call('POST', `/console/v1/invitations/${invitation.id}/link`, { auth: admin.auth });
    expect(allowed.status).toBe(201);
    issuedSecrets.add(/#token=(.+)$/.exec(allowed.body.url)![1]!);
    const unknown = await kp.call('POST', '/console/v1/invitations/i-zzzzzz/link');
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0].code).toBe('invitation_not_found');
  });

  it('makes links for a signed-in console user, with the CSRF token', async () => {
    const invitation = await invite('by-console@example.com');
    const signIn = await kp.call('POST', '/console/v1/sign-in', { auth: false, body: { email: kp.admin.email, password: kp.admin.password } });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const path = `/console/v1/invitations/${invitation.id}/link`;
    expect((await kp.call('POST', path, { auth: false, headers: { cookie } })).status).toBe(403);
    const made = await kp.call('POST', path, { auth: false, headers: { cookie, 'x-csrf-token': signIn.body.csrf_token } });
    expect(made.status).toBe(201);
    issuedSecrets.add(/#token=(.+)$/.exec(made.body.url)![1]!);
    await kp.keyplane.audit.flush();
    const events = await kp.keyplane.services.store.list(
      'auditEvents',
      { method: 'CreateInvitationLink', resourceName: crns(kp).invitation(invitation.id) },
      { limit: 10, total: false },
    );
    expect(events.items.map((e) => [e.principal, e.result])).toEqual([[`User:${kp.admin.userId}`, 'success']]);
  });
});
