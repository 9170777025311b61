import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { created, createKafkaCluster, createKey, defaultEnvironment, spyOnSecretChecks } from '../../test/support/data-plane.js';
import { basic, type Reply, startTestKeyplane, type TestKeyplane } from '../../test/support/harness.js';
import { newApiKeyId } from '../domain/ids.js';

// 3 failed authentications a minute per key id, 6 per address; under app.request() the peer's
// address is `unknown`. The management API's request limits do not apply to the data plane.
const LIMITS = {
  KEYPLANE_RATE_LIMIT_PER_MINUTE: '100000',
  KEYPLANE_RATE_LIMIT_BURST: '100000',
  KEYPLANE_AUTH_FAILURES_PER_MINUTE: '3',
  KEYPLANE_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '6',
};

type Key = { key: string; secret: string };
let kp: TestKeyplane;
let now: number;
let lkc: string;
let verifier: Key;
const clients: Key[] = [];

function advance(ms: number): void {
  now += ms;
}

const wrong = (key: Key): Key => ({ key: key.key, secret: `cflt${randomBytes(27).toString('hex').slice(0, 54)}AAAAAA` });

function nginx(client: Key, clientAddress?: string, as: Key = verifier): Promise<Reply> {
  const headers: Record<string, string> = { 'x-keyplane-resource': lkc, 'x-keyplane-verifier': basic(as.key, as.secret) };
  if (clientAddress) headers['x-keyplane-client-address'] = clientAddress;
  return kp.call('GET', '/v1/auth/nginx', { auth: client, headers });
}

beforeAll(async () => {
  kp = await startTestKeyplane(LIMITS);
  now = Date.now();
  kp.keyplane.services.now = () => new Date(now);
  const envId = await defaultEnvironment(kp);
  lkc = await createKafkaCluster(kp, envId);
  const sa = (await created(kp, '/iam/v2/service-accounts', { display_name: 'broker' })).id;
  const newKey = () => createKey(kp, sa, { id: lkc, environment: envId });
  verifier = await newKey();
  for (let i = 0; i < 4; i++) clients.push(await newKey());
});
afterAll(() => kp.close());

describe('the data plane under the failed-authentication limits', () => {
  it('takes nothing for successes', async () => {
    for (let i = 0; i < 20; i++) expect((await nginx(clients[0]!, '192.0.2.1')).status).toBe(200);
  });

  it('refuses a key id after 3 wrong secrets, without checking even the right one, until a token is back', async () => {
    const client = clients[1]!;
    for (let i = 0; i < 3; i++) expect((await nginx(wrong(client), '192.0.2.2')).status).toBe(401);
    const checks = spyOnSecretChecks(kp);
    for (const attempt of [wrong(client), client]) {
      const res = await nginx(attempt, '192.0.2.2');
      // auth_request passes on only 401 and 403: a refusal for too many failures is a 403 that says so.
      expect(res.status).toBe(403);
      expect(res.headers.get('x-keyplane-reason')).toBe('too_many_requests');
      expect(res.headers.get('retry-after')).toBe('20');
    }
    // Only the verifier's secret was checked, twice.
    expect(checks()).toBe(2);
    advance(20_000);
    expect((await nginx(client, '192.0.2.2')).status).toBe(200);
    vi.restoreAllMocks();
  });

  it('counts failures by the client address the verifier reports, so one client cannot lock out another', async () => {
    advance(60_000);
    // 6 failures from one client address, each with another key id, so the per-key limit is not what stops them.
    for (let i = 0; i < 6; i++) expect((await nginx(wrong({ key: newApiKeyId(randomBytes), secret: '' }), '198.51.100.7')).status).toBe(401);
    const blocked = await nginx(clients[2]!, '198.51.100.7');
    expect(blocked.status).toBe(403);
    expect(blocked.headers.get('x-keyplane-reason')).toBe('too_many_requests');
    expect((await nginx(clients[2]!, '198.51.100.8')).status).toBe(200);
  });

  it('counts an IPv6 client by its /64, so stepping through its addresses gains it nothing', async () => {
    advance(60_000);
    for (let i = 0; i < 6; i++) {
      expect((await nginx(wrong({ key: newApiKeyId(randomBytes), secret: '' }), `2001:db8:1:2::${i + 1}`)).status).toBe(401);
    }
    expect((await nginx(clients[3]!, '2001:db8:1:2::ff')).headers.get('x-keyplane-reason')).toBe('too_many_requests');
    expect((await nginx(clients[3]!, '2001:db8:1:3::1')).status).toBe(200);
  });

  it("counts a verifier's wrong secrets against the verifier's key id", async () => {
    advance(60_000);
    const badVerifier = wrong(verifier);
    for (let i = 0; i < 3; i++) expect((await nginx(clients[0]!, '192.0.2.9', badVerifier)).status).toBe(401);
    const res = await nginx(clients[0]!, '192.0.2.9', badVerifier);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-keyplane-reason')).toBe('too_many_requests');
  });

  it('answers POST /v1/verify past the limit with 429 and Retry-After', async () => {
    advance(60_000);
    const client = clients[1]!;
    const verify = (attempt: Key) => kp.call('POST', '/v1/verify', { auth: verifier, body: { ...attempt, resource: lkc, client_address: '203.0.113.5' } });
    for (let i = 0; i < 3; i++) expect((await verify(wrong(client))).body.reason).toBe('invalid_credentials');
    const res = await verify(client);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('20');
    expect(res.body.errors[0].code).toBe('too_many_requests');
  });

  it("keeps the verifier's buckets apart from its clients': a client cannot lock the verifier out", async () => {
    advance(60_000);
    // A client sends the verifier's own key id with wrong secrets, more often than a key id may fail.
    for (let i = 0; i < 4; i++) await nginx(wrong(verifier), '192.0.2.20');
    expect((await nginx(clients[0]!, '192.0.2.21')).status).toBe(200);
  });

  it("keeps each verifier's client addresses apart: one verifier cannot lock out another's clients", async () => {
    advance(60_000);
    const other = clients[3]!;
    // The holder of a key of the cluster, as a verifier, reports failures for an address another verifier serves.
    for (let i = 0; i < 6; i++) {
      const res = await kp.call('POST', '/v1/verify', {
        auth: other,
        body: { key: newApiKeyId(randomBytes), secret: 'x', resource: lkc, client_address: '198.51.100.50' },
      });
      expect(res.body.reason).toBe('invalid_credentials');
    }
    expect((await nginx(clients[0]!, '198.51.100.50')).status).toBe(200);
  });

  it('takes only an IP address as the client address', async () => {
    const res = await kp.call('POST', '/v1/verify', { auth: verifier, body: { ...clients[0]!, resource: lkc, client_address: 'anything' } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].source).toEqual({ pointer: '/client_address' });
  });
});
