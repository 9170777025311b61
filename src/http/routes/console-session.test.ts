import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallOptions, issuedSecrets, type Reply, startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { hashPassword } from '../../services/passwords.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp.close());

const WRONG = 'not-the-password-123';
issuedSecrets.add(WRONG);

interface Session {
  cookie: string;
  csrf: string;
  reply: Reply;
}

async function signIn(on: TestKeyplane, email: string, password: string): Promise<Session> {
  const reply = await on.call('POST', '/console/v1/sign-in', { auth: false, body: { email, password } });
  expect(reply.status, reply.text).toBe(200);
  const token = /keyplane_session=([^;]+)/.exec(reply.headers.get('set-cookie') ?? '')![1]!;
  return { cookie: `keyplane_session=${token}`, csrf: reply.body.csrf_token, reply };
}

/** A request made with the session's cookie (and, with `csrf`, its CSRF token), no Authorization. */
function asSession(session: Session, options: CallOptions & { csrf?: boolean } = {}): CallOptions {
  const { csrf, ...rest } = options;
  return {
    ...rest,
    auth: false,
    headers: { cookie: session.cookie, ...(csrf ? { 'x-csrf-token': session.csrf } : {}), ...(options.headers ?? {}) },
  };
}

/** The stored audit events of a console method, oldest first. */
async function consoleEvents(method: 'SignOut' | 'ChangePassword'): Promise<any[]> {
  const rows = await kp.keyplane.services.store.list('auditEvents', { method }, { limit: 1000, total: false });
  return rows.items.map((r) => JSON.parse(r.data));
}

async function userWithPassword(email: string, password: string): Promise<string> {
  const invited = await kp.call('POST', '/iam/v2/invitations', { body: { email } });
  expect(invited.status, invited.text).toBe(201);
  const userId: string = invited.body.user.id;
  await kp.keyplane.services.store.update('users', userId, { passwordHash: await hashPassword(password) });
  issuedSecrets.add(password);
  return userId;
}

describe('console sign-in', () => {
  it('signs the admin in with the bootstrap password and sets a strict, HttpOnly cookie', async () => {
    const { reply, csrf } = await signIn(kp, kp.admin.email, kp.admin.password);
    expect(reply.body).toEqual({
      user: { id: kp.admin.userId, email: kp.admin.email, full_name: 'Keyplane Admin' },
      organization_id: kp.keyplane.services.orgId,
      csrf_token: csrf,
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const cookie = reply.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^keyplane_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain('Max-Age=604800');
    // The public URL is http: a Secure cookie would never be sent back.
    expect(cookie).not.toContain('Secure');
    expect(csrf).not.toBe(/keyplane_session=([^;]+)/.exec(cookie)![1]);
  });

  it('gives one answer for a wrong password and an unknown email, with no cookie and no Basic challenge', async () => {
    const wrong = await kp.call('POST', '/console/v1/sign-in', { auth: false, body: { email: kp.admin.email, password: WRONG } });
    const unknown = await kp.call('POST', '/console/v1/sign-in', { auth: false, body: { email: 'nobody@example.com', password: WRONG } });
    for (const reply of [wrong, unknown]) {
      expect(reply.status).toBe(401);
      expect(reply.body.errors[0].code).toBe('sign_in_failed');
      expect(reply.headers.get('set-cookie')).toBeNull();
      expect(reply.headers.get('www-authenticate')).toBeNull();
    }
    expect(wrong.body.errors[0].detail).toBe(unknown.body.errors[0].detail);
  });

  it('answers GET session with the same body, and 401 without a cookie or with an unknown one', async () => {
    const session = await signIn(kp, kp.admin.email, kp.admin.password);
    const got = await kp.call('GET', '/console/v1/session', asSession(session));
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ ...session.reply.body, expires_at: got.body.expires_at });
    expect(got.headers.get('set-cookie')).toBeNull();

    const none = await kp.call('GET', '/console/v1/session', { auth: false });
    expect(none.status).toBe(401);
    expect(none.body.errors[0].code).toBe('session_invalid');
    expect(none.headers.get('www-authenticate')).toBeNull();
    const forged = await kp.call('GET', '/console/v1/session', { auth: false, headers: { cookie: `keyplane_session=${'A'.repeat(43)}` } });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('set-cookie')).toMatch(/keyplane_session=;.*Max-Age=0/);
  });

  it('reaches the management API with the session: reads freely, changes only with the CSRF token', async () => {
    const session = await signIn(kp, kp.admin.email, kp.admin.password);
    const list = await kp.call('GET', '/iam/v2/service-accounts', asSession(session));
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe('ServiceAccountList');

    const body = { display_name: 'console-made' };
    const without = await kp.call('POST', '/iam/v2/service-accounts', asSession(session, { body }));
    expect(without.status).toBe(403);
    expect(without.body.errors[0].code).toBe('csrf_token_invalid');
    const wrong = await kp.call('POST', '/iam/v2/service-accounts', asSession(session, { body, headers: { 'x-csrf-token': 'x'.repeat(43) } }));
    expect(wrong.status).toBe(403);
    const foreign = await kp.call('POST', '/iam/v2/service-accounts', asSession(session, { body, csrf: true, headers: { origin: 'https://evil.example' } }));
    expect(foreign.status).toBe(403);
    expect(foreign.body.errors[0].code).toBe('csrf_token_invalid');
    expect((await kp.call('GET', '/iam/v2/service-accounts?display_name=console-made')).body.data).toEqual([]);

    const made = await kp.call('POST', '/iam/v2/service-accounts', asSession(session, { body, csrf: true, headers: { origin: 'http://keyplane.test:8080' } }));
    expect(made.status, made.text).toBe(201);
    expect(made.body.display_name).toBe('console-made');
  });

  it('acts as the signed-in user: only what their role bindings allow', async () => {
    const email = 'plain-user@example.com';
    const userId = await userWithPassword(email, 'plain-user-password');
    const session = await signIn(kp, email, 'plain-user-password');
    const refused = await kp.call('POST', '/org/v2/environments', asSession(session, { body: { display_name: 'not-mine' }, csrf: true }));
    expect(refused.status).toBe(403);
    const self = await kp.call('GET', `/iam/v2/users/${userId}`, asSession(session));
    expect(self.status).toBe(200);
    expect(self.body.email).toBe(email);
  });

  it('records sign-ins and session calls in the audit log without passwords or tokens', async () => {
    const session = await signIn(kp, kp.admin.email, kp.admin.password);
    await kp.call('POST', '/console/v1/sign-in', { auth: false, body: { email: kp.admin.email, password: WRONG } });
    const made = await kp.call('POST', '/iam/v2/service-accounts', asSession(session, { body: { display_name: 'audited-by-session' }, csrf: true }));
    expect(made.status).toBe(201);
    await kp.keyplane.audit.flush();
    const rows = await kp.keyplane.services.store.list('auditEvents', {}, { limit: 1000, total: false });
    const events = rows.items.map((r) => JSON.parse(r.data));
    const signIns = events.filter((e) => e.data.authenticationInfo.metadata.mechanism === 'CONSOLE_PASSWORD');
    expect(signIns.some((e) => e.data.result.status === 'SUCCESS' && e.data.authenticationInfo.principal === `User:${kp.admin.userId}`)).toBe(true);
    expect(signIns.some((e) => e.data.result.status === 'FAILURE' && e.data.result.message === 'invalid_credentials')).toBe(true);
    for (const e of signIns) {
      expect(e.data.methodName).toBe('cloud.Authentication');
      expect(e.data.authenticationInfo.metadata.identifier).toBe('console-session');
    }
    const create = events.find((e) => e.data.methodName === 'CreateServiceAccount' && e.data.request.body?.display_name === 'audited-by-session');
    expect(create.data.authenticationInfo).toEqual({
      principal: `User:${kp.admin.userId}`,
      metadata: { mechanism: 'CONSOLE_SESSION', identifier: 'console-session' },
    });
    const all = rows.items.map((r) => r.data).join('\n');
    expect(all).not.toContain(kp.admin.password);
    expect(all).not.toContain(session.csrf);
    expect(all).not.toContain(session.cookie.split('=')[1]);
  });

  it('authenticates a request with an Authorization header by it alone, whatever cookie it carries', async () => {
    const session = await signIn(kp, kp.admin.email, kp.admin.password);
    const basicWithJunk = await kp.call('GET', '/iam/v2/service-accounts', { headers: { cookie: 'keyplane_session=junk' } });
    expect(basicWithJunk.status).toBe(200);
    const badBasicWithSession = await kp.call('GET', '/iam/v2/service-accounts', {
      auth: { key: kp.admin.key, secret: `cflt${'x'.repeat(60)}` },
      headers: { cookie: session.cookie },
    });
    expect(badBasicWithSession.status).toBe(401);
    // Basic needs no CSRF token even with a session cookie present.
    const made = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'basic-with-cookie' }, headers: { cookie: session.cookie } });
    expect(made.status).toBe(201);
  });

  it("answers a browser script's request without credentials with no Basic challenge, and others with one", async () => {
    const script = await kp.call('GET', '/iam/v2/service-accounts', { auth: false, headers: { 'x-requested-with': 'XMLHttpRequest' } });
    expect(script.status).toBe(401);
    expect(script.body.errors[0].code).toBe('session_invalid');
    expect(script.headers.get('www-authenticate')).toBeNull();
    const fetched = await kp.call('GET', '/iam/v2/service-accounts', { auth: false, headers: { 'sec-fetch-site': 'same-origin' } });
    expect(fetched.headers.get('www-authenticate')).toBeNull();
    const tool = await kp.call('GET', '/iam/v2/service-accounts', { auth: false });
    expect(tool.status).toBe(401);
    expect(tool.body.errors[0].code).toBe('user_unauthenticated');
    expect(tool.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('signs out: the session ends and the cookie is cleared; sign-out needs the CSRF token', async () => {
    const session = await signIn(kp, kp.admin.email, kp.admin.password);
    expect((await kp.call('POST', '/console/v1/sign-out', asSession(session))).status).toBe(403);
    const out = await kp.call('POST', '/console/v1/sign-out', asSession(session, { csrf: true }));
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/keyplane_session=;.*Max-Age=0/);
    expect((await kp.call('GET', '/console/v1/session', asSession(session))).status).toBe(401);
    const api = await kp.call('GET', '/iam/v2/service-accounts', asSession(session));
    expect(api.status).toBe(401);
    expect(api.body.errors[0].code).toBe('session_invalid');
    const [event] = await consoleEvents('SignOut');
    expect(event.data).toMatchObject({
      resourceName: kp.keyplane.services.crn.user(kp.admin.userId),
      authenticationInfo: { principal: `User:${kp.admin.userId}`, metadata: { mechanism: 'CONSOLE_SESSION' } },
      request: { method: 'POST', path: '/console/v1/sign-out' },
      result: { status: 'SUCCESS', httpStatus: 204 },
    });
  });

  it('ends a session after 8 idle hours, and 7 days after sign-in however it is used', async () => {
    const services = kp.keyplane.services;
    const realNow = services.now;
    let offset = 0;
    services.now = () => new Date(realNow().getTime() + offset);
    try {
      const idle = await signIn(kp, kp.admin.email, kp.admin.password);
      const busy = await signIn(kp, kp.admin.email, kp.admin.password);
      offset = 7 * 60 * 60 * 1000;
      expect((await kp.call('GET', '/console/v1/session', asSession(busy))).status).toBe(200);
      offset = 8 * 60 * 60 * 1000 + 60_000;
      expect((await kp.call('GET', '/console/v1/session', asSession(idle))).status).toBe(401);
      // Used every 7 hours, the busy session lives until its seventh day.
      for (offset = 14 * 3600_000; offset < 7 * 24 * 3600_000; offset += 7 * 3600_000) {
        expect((await kp.call('GET', '/console/v1/session', asSession(busy))).status, `at ${offset / 3600_000} h`).toBe(200);
      }
      offset = 7 * 24 * 3600_000 + 60_000;
      expect((await kp.call('GET', '/console/v1/session', asSession(busy))).status).toBe(401);
    } finally {
      services.now = realNow;
    }
  });

  it('changes the password: the other sessions end, the old password stops working', async () => {
    const email = 'changer@example.com';
    const first = 'first-password-123';
    const second = 'second-password-456';
    issuedSecrets.add(second);
    const userId = await userWithPassword(email, first);
    const a = await signIn(kp, email, first);
    const b = await signIn(kp, email, first);

    const wrong = await kp.call('POST', '/console/v1/password', asSession(a, { csrf: true, body: { current_password: WRONG, new_password: second } }));
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].source).toEqual({ pointer: '/current_password' });
    const short = await kp.call('POST', '/console/v1/password', asSession(a, { csrf: true, body: { current_password: first, new_password: 'short' } }));
    expect(short.status).toBe(400);
    expect(short.body.errors[0].source).toEqual({ pointer: '/new_password' });
    expect((await kp.call('POST', '/console/v1/password', asSession(a, { body: { current_password: first, new_password: second } }))).status).toBe(403);

    const changed = await kp.call('POST', '/console/v1/password', asSession(a, { csrf: true, body: { current_password: first, new_password: second } }));
    expect(changed.status, changed.text).toBe(204);
    expect((await kp.call('GET', '/console/v1/session', asSession(a))).status).toBe(200);
    expect((await kp.call('GET', '/console/v1/session', asSession(b))).status).toBe(401);
    const old = await kp.call('POST', '/console/v1/sign-in', { auth: false, body: { email, password: first } });
    expect(old.status).toBe(401);
    await signIn(kp, email, second);
    // The refusal and the change are both in the audit log, with neither password.
    const changes = (await consoleEvents('ChangePassword')).filter((e) => e.data.authenticationInfo.principal === `User:${userId}`);
    expect(changes.map((e) => e.data.result.status)).toEqual(['FAILURE', 'SUCCESS']);
    const text = JSON.stringify(changes);
    expect(text).not.toContain(first);
    expect(text).not.toContain(second);
  });

  it('ends the sessions of a deleted user', async () => {
    const email = 'leaver@example.com';
    const userId = await userWithPassword(email, 'leaver-password-123');
    const session = await signIn(kp, email, 'leaver-password-123');
    expect((await kp.call('GET', '/console/v1/session', asSession(session))).status).toBe(200);
    expect((await kp.call('DELETE', `/iam/v2/users/${userId}`)).status).toBe(204);
    expect(await kp.keyplane.services.store.count('consoleSessions', { userId })).toBe(0);
    expect((await kp.call('GET', '/console/v1/session', asSession(session))).status).toBe(401);
  });

  it('refuses hostile sign-in bodies with a 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ email: 42, password: WRONG }, '/email'],
      [{ email: kp.admin.email }, '/password'],
      [{ email: kp.admin.email, password: ['x'] }, '/password'],
      [{ email: kp.admin.email, password: 'p'.repeat(257) }, '/password'],
      [{ email: kp.admin.email, password: 'short' }, '/password'],
      [{ email: 'not an email', password: WRONG }, '/email'],
      [{ email: kp.admin.email, password: `${'p'.repeat(12)}\ud800` }, '/password'],
    ];
    for (const [body, pointer] of cases) {
      const reply = await kp.call('POST', '/console/v1/sign-in', { auth: false, body });
      expect(reply.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(reply.body.errors[0].source).toEqual({ pointer });
    }
    const session = await signIn(kp, kp.admin.email, kp.admin.password);
    const passwordCases: Array<[unknown, string]> = [
      [{ current_password: 5, new_password: 'new-password-123' }, '/current_password'],
      [{ current_password: kp.admin.password }, '/new_password'],
      [{ current_password: kp.admin.password, new_password: 'n'.repeat(300) }, '/new_password'],
    ];
    for (const [body, pointer] of passwordCases) {
      const reply = await kp.call('POST', '/console/v1/password', asSession(session, { csrf: true, body }));
      expect(reply.status).toBe(400);
      expect(reply.body.errors[0].source).toEqual({ pointer });
    }
    const huge = await kp.call('POST', '/console/v1/sign-in', { auth: false, body: { email: kp.admin.email, password: 'p'.repeat(100_000) } });
    expect(huge.status).toBe(413);
    const array = await kp.call('POST', '/console/v1/sign-in', { auth: false, raw: '[]' });
    expect(array.status).toBe(400);
  });
});

describe('console sign-in behind an https public URL', () => {
  let secure: TestKeyplane;
  beforeAll(async () => {
    secure = await startTestKeyplane({ KEYPLANE_PUBLIC_URL: 'https://keys.example.com' });
  });
  afterAll(() => secure.close());

  it('marks the cookie Secure, and takes the public URL as an origin', async () => {
    const session = await signIn(secure, secure.admin.email, secure.admin.password);
    expect(session.reply.headers.get('set-cookie')).toMatch(/; Secure/);
    const made = await secure.call('POST', '/iam/v2/service-accounts', {
      auth: false,
      body: { display_name: 'behind-proxy' },
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, origin: 'https://keys.example.com' },
    });
    expect(made.status, made.text).toBe(201);
  });
});

describe('sign-in throttling', () => {
  let fresh: TestKeyplane;
  beforeAll(async () => {
    fresh = await startTestKeyplane();
  });
  afterAll(() => fresh.close());

  it('refuses an email from an address after 5 failures, even with the right password, until a token is back', async () => {
    const services = fresh.keyplane.services;
    const realNow = services.now;
    let offset = 0;
    services.now = () => new Date(realNow().getTime() + offset);
    try {
      for (let i = 0; i < 5; i++) {
        const reply = await fresh.call('POST', '/console/v1/sign-in', { auth: false, body: { email: fresh.admin.email, password: WRONG } });
        expect(reply.status).toBe(401);
      }
      const throttled = await fresh.call('POST', '/console/v1/sign-in', { auth: false, body: { email: fresh.admin.email, password: fresh.admin.password } });
      expect(throttled.status).toBe(429);
      expect(throttled.body.errors[0].code).toBe('too_many_requests');
      const retry = Number(throttled.headers.get('retry-after'));
      expect(retry).toBeGreaterThan(60);
      expect(retry).toBeLessThanOrEqual(180);
      expect(throttled.headers.get('set-cookie')).toBeNull();
      // Another email from the same address is not held up by this one's failures.
      const other = await fresh.call('POST', '/console/v1/sign-in', { auth: false, body: { email: 'someone@example.com', password: WRONG } });
      expect(other.status).toBe(401);

      offset = retry * 1000;
      await signIn(fresh, fresh.admin.email, fresh.admin.password);
    } finally {
      services.now = realNow;
    }
  });

  it('counts concurrent guesses before checking any, so no more than 5 are checked', async () => {
    const email = 'concurrent@example.com';
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => fresh.call('POST', '/console/v1/sign-in', { auth: false, body: { email, password: WRONG } })),
    );
    expect(replies.filter((r) => r.status === 401)).toHaveLength(5);
    expect(replies.filter((r) => r.status === 429)).toHaveLength(5);
  });

  it("locks an email out only at the guesser's address: its owner signs in from another", async () => {
    for (let i = 0; i < 5; i++) {
      const reply = await fresh.call('POST', '/console/v1/sign-in', { auth: false, body: { email: fresh.admin.email, password: WRONG } });
      expect([401, 429]).toContain(reply.status);
    }
    const here = await fresh.call('POST', '/console/v1/sign-in', { auth: false, body: { email: fresh.admin.email, password: fresh.admin.password } });
    expect(here.status).toBe(429);
    // A listening server sees real socket addresses; 127.0.0.2 is another client on loopback.
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: fresh.keyplane.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const body = JSON.stringify({ email: fresh.admin.email, password: fresh.admin.password });
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, localAddress: '127.0.0.2', method: 'POST', path: '/console/v1/sign-in', headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(status).toBe(200);
    } finally {
      await new Promise<void>((done) => {
        server.close(() => done());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    }
  });

  it('refuses an address after 20 failures whatever the email', async () => {
    let last: Reply | undefined;
    for (let i = 0; i < 21; i++) {
      last = await fresh.call('POST', '/console/v1/sign-in', { auth: false, body: { email: `guess-${i}@example.com`, password: WRONG } });
      if (last.status === 429) break;
      expect(last.status).toBe(401);
    }
    expect(last!.status).toBe(429);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
