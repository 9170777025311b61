import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaCluster, createKey, defaultEnvironment } from '../../../test/support/data-plane.js';
import { basic, startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { addPrincipal, crns } from '../../../test/support/principals.js';
import type { AuthenticationEvent } from '../../services/authentication-events.js';

let kp: TestKeyplane;
let envId: string;
let saId: string;
const ids: Record<string, string> = {};
type Key = { key: string; secret: string };
const keys: Record<string, Key> = {};
const events: AuthenticationEvent[] = [];

async function ok(res: { status: number; body: any; text: string }) {
  expect(res.status, res.text).toBeLessThan(300);
  return res.body;
}

const newKey = (owner: string, resource?: { id: string; environment?: string }): Promise<Key> => createKey(kp, owner, resource);

const cluster = (extra: object) => ({ spec: { display_name: 'c', cloud: 'AWS', region: 'us-east-1', environment: { id: envId }, ...extra } });

beforeAll(async () => {
  kp = await startTestKeyplane();
  kp.keyplane.services.authentications = { authenticated: (event) => events.push(event) };
  envId = await defaultEnvironment(kp);
  saId = (await ok(await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'orders-app' } }))).id;
  ids.kafka = await createKafkaCluster(kp, envId);
  ids.otherKafka = await createKafkaCluster(kp, envId);
  ids.sr = (await ok(await kp.call('POST', '/srcm/v3/clusters', { body: cluster({ package: 'ESSENTIALS' }) }))).id;
  keys.kafka = await newKey(saId, { id: ids.kafka!, environment: envId });
  keys.otherKafka = await newKey(saId, { id: ids.otherKafka!, environment: envId });
  keys.sr = await newKey(saId, { id: ids.sr!, environment: envId });
  keys.flink = await newKey(saId, { id: 'aws.us-east-1', environment: envId });
  keys.tableflow = await newKey(saId, { id: 'tableflow' });
  keys.cloud = await newKey(saId);
  keys.verifier = await newKey(saId, { id: ids.kafka!, environment: envId });
});
afterAll(() => kp.close());

/** POST /v1/verify as `verifier` (default: a key of the Kafka cluster). */
function verify(body: Record<string, unknown>, verifier: Key | string | false = keys.verifier!, headers: Record<string, string> = {}) {
  return kp.call('POST', '/v1/verify', { body, auth: verifier, headers });
}

function nginx(client: Key | undefined, resource: string | undefined, verifier: Key | null = keys.verifier!) {
  const headers: Record<string, string> = {};
  if (resource !== undefined) headers['x-keyplane-resource'] = resource;
  if (verifier) headers['x-keyplane-verifier'] = basic(verifier.key, verifier.secret);
  return kp.call('GET', '/v1/auth/nginx', { auth: client ? basic(client.key, client.secret) : false, headers });
}

describe('POST /v1/verify: scope rules', () => {
  it('accepts a resource key on its resource, naming the owner and the key', async () => {
    const res = await verify({ key: keys.kafka!.key, secret: keys.kafka!.secret, resource: ids.kafka });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      valid: true,
      principal: { id: saId, kind: 'ServiceAccount', name: `User:${saId}` },
      key: { id: keys.kafka!.key, scope: { kind: 'Cluster', id: ids.kafka, environment: envId } },
      resource: ids.kafka,
    });
  });

  it('treats resource ids case-insensitively', async () => {
    const res = await verify({ key: keys.kafka!.key, secret: keys.kafka!.secret, resource: ids.kafka!.toUpperCase() });
    expect(res.body.valid).toBe(true);
  });

  it('gives an unknown key and a wrong secret the same answer', async () => {
    const wrong = await verify({ key: keys.kafka!.key, secret: `${keys.kafka!.secret.slice(0, -1)}x`, resource: ids.kafka });
    const unknown = await verify({ key: 'ZZZZZZZZZZZZZZZZ', secret: keys.kafka!.secret, resource: ids.kafka });
    const malformed = await verify({ key: 'not-a-key', secret: 'x', resource: ids.kafka });
    for (const res of [wrong, unknown, malformed]) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ valid: false, reason: 'invalid_credentials', detail: 'The API key or secret is not valid', resource: ids.kafka });
    }
  });

  it('refuses a resource key on another resource', async () => {
    const res = await verify({ key: keys.otherKafka!.key, secret: keys.otherKafka!.secret, resource: ids.kafka });
    expect(res.body).toMatchObject({ valid: false, reason: 'wrong_resource' });
    expect(res.body.detail).toContain(ids.otherKafka);
  });

  it('accepts a Flink key on its environment and region only', async () => {
    const verifier = await addPrincipal(kp, 'user', [{ role: 'OrganizationAdmin', crn: crns(kp).organization() }]);
    const flink = (resource: string) => verify({ key: keys.flink!.key, secret: keys.flink!.secret, resource }, verifier.auth);
    expect((await flink(`${envId}/aws.us-east-1`)).body.valid).toBe(true);
    expect((await flink(`${envId}/aws.us-west-2`)).body.reason).toBe('wrong_resource');
    // No such environment: nobody may verify keys for it.
    expect((await flink('env-zzzzzz/aws.us-east-1')).status).toBe(403);
    expect((await flink(ids.kafka!)).body.reason).toBe('wrong_resource');
  });

  it('accepts a Tableflow key on tableflow and a Schema Registry key on its registry', async () => {
    const admin = await addPrincipal(kp, 'user', [{ role: 'OrganizationAdmin', crn: crns(kp).organization() }]);
    expect((await verify({ key: keys.tableflow!.key, secret: keys.tableflow!.secret, resource: 'tableflow' }, admin.auth)).body.valid).toBe(true);
    expect((await verify({ key: keys.sr!.key, secret: keys.sr!.secret, resource: ids.sr }, admin.auth)).body.valid).toBe(true);
    expect((await verify({ key: keys.sr!.key, secret: keys.sr!.secret, resource: ids.kafka }, admin.auth)).body.reason).toBe('wrong_resource');
  });

  it('refuses a Cloud key on every resource', async () => {
    const res = await verify({ key: keys.cloud!.key, secret: keys.cloud!.secret, resource: ids.kafka });
    expect(res.body).toMatchObject({ valid: false, reason: 'cloud_key' });
  });

  it("accepts a Global key where its owner has access, and nowhere else", async () => {
    const user = await addPrincipal(kp, 'user', [{ role: 'DeveloperRead', crn: `${crns(kp).kafkaCluster(envId, ids.kafka!)}/kafka=${ids.kafka}/topic=orders` }]);
    const global = await newKey(user.id, { id: 'global' });
    expect((await verify({ ...global, resource: ids.kafka })).body).toMatchObject({ valid: true, principal: { id: user.id, kind: 'User' } });
    const admin = await addPrincipal(kp, 'user', [{ role: 'OrganizationAdmin', crn: crns(kp).organization() }]);
    const elsewhere = await verify({ ...global, resource: ids.otherKafka }, admin.auth);
    expect(elsewhere.body).toMatchObject({ valid: false, reason: 'no_access' });
  });
});

describe('POST /v1/verify: the authorization decision', () => {
  it("returns the owner's decision for an operation inside the resource, with the binding that decided", async () => {
    const user = await addPrincipal(kp, 'user', [{ role: 'DeveloperRead', crn: `${crns(kp).kafkaCluster(envId, ids.kafka!)}/kafka=${ids.kafka}/topic=orders` }]);
    const key = await newKey(user.id, { id: ids.kafka!, environment: envId });
    const topic = (name: string) => `${crns(kp).kafkaCluster(envId, ids.kafka!)}/kafka=${ids.kafka}/topic=${name}`;
    const read = await verify({ ...key, resource: ids.kafka, operation: 'Topic:Read', resource_crn: topic('orders') });
    expect(read.body.authorization).toMatchObject({ operation: 'Topic:Read', allowed: true, reason: 'role_binding', binding: { role_name: 'DeveloperRead' } });
    const write = await verify({ ...key, resource: ids.kafka, operation: 'Topic:Write', resource_crn: topic('orders') });
    expect(write.body.authorization).toMatchObject({ allowed: false, reason: 'no_grant' });
    const other = await verify({ ...key, resource: ids.kafka, operation: 'Topic:Read', resource_crn: topic('payments') });
    expect(other.body.authorization.allowed).toBe(false);
  });

  it('refuses a decision about a CRN outside the verified resource', async () => {
    const other = `${crns(kp).kafkaCluster(envId, ids.otherKafka!)}/kafka=${ids.otherKafka}`;
    // The second names the verified cluster only as a topic's name: still the other cluster's topic.
    for (const outside of [`${other}/topic=orders`, `${other}/topic=${ids.kafka}`, 'not a crn']) {
      const res = await verify({ ...keys.kafka!, resource: ids.kafka, operation: 'Topic:Read', resource_crn: outside });
      expect(res.body.valid).toBe(true);
      expect(res.body.authorization, outside).toMatchObject({ allowed: false, reason: 'invalid_resource' });
    }
  });
});

describe('POST /v1/verify: who may ask', () => {
  it('needs a verifier', async () => {
    const res = await verify({ ...keys.kafka!, resource: ids.kafka }, false);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Basic');
  });

  it('refuses a verifier with a wrong secret', async () => {
    const res = await verify({ ...keys.kafka!, resource: ids.kafka }, { key: keys.verifier!.key, secret: 'wrong' });
    expect(res.status).toBe(401);
  });

  it("refuses a key scoped to another resource, and a Cloud key without ApiKey:Verify", async () => {
    const fromOther = await verify({ ...keys.kafka!, resource: ids.kafka }, keys.otherKafka!);
    expect(fromOther.status).toBe(403);
    expect(fromOther.body.errors[0].code).toBe('user_unauthorized');
    const cloud = await verify({ ...keys.kafka!, resource: ids.kafka }, keys.cloud!);
    expect(cloud.status).toBe(403);
  });

  it('accepts a Cloud key whose owner administers the cluster', async () => {
    const admin = await addPrincipal(kp, 'user', [{ role: 'CloudClusterAdmin', crn: crns(kp).kafkaCluster(envId, ids.kafka!) }]);
    expect((await verify({ ...keys.kafka!, resource: ids.kafka }, admin.auth)).body.valid).toBe(true);
    expect((await verify({ ...keys.otherKafka!, resource: ids.otherKafka }, admin.auth)).status).toBe(403);
  });

  it('takes the key to check in Authorization with the verifier in X-Keyplane-Verifier', async () => {
    const res = await verify({ resource: ids.kafka }, keys.kafka!, { 'x-keyplane-verifier': basic(keys.verifier!.key, keys.verifier!.secret) });
    expect(res.body).toMatchObject({ valid: true, key: { id: keys.kafka!.key } });
    const without = await verify({ resource: ids.kafka }, keys.kafka!);
    expect(without.status).toBe(401);
    expect(without.body.errors[0].source).toEqual({ parameter: 'x-keyplane-verifier' });
  });
});

describe('POST /v1/verify: bad input', () => {
  it.each([
    [{ key: 'K', secret: 's' }, '/resource'],
    [{ key: 'K', secret: 's', resource: 'lkx-123' }, '/resource'],
    [{ key: 'K', resource: 'lkc-abc' }, '/secret'],
    [{ key: 'K', secret: 's', resource: 'lkc-abc', operation: 'Topic:Read' }, '/resource_crn'],
    [{ key: 5, secret: 's', resource: 'lkc-abc' }, '/key'],
    [{ key: 'K', secret: 's', resource: 'x'.repeat(300) }, '/resource'],
  ])('%j is a 400 naming %s', async (body, pointer) => {
    const res = await verify(body);
    expect(res.status, res.text).toBe(400);
    expect(res.body.errors[0].source).toEqual({ pointer });
  });

  it('refuses malformed JSON', async () => {
    const res = await kp.call('POST', '/v1/verify', { raw: '{"key": ', auth: keys.verifier });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe('invalid_json');
  });
});

describe('GET /v1/auth/nginx', () => {
  it('answers 200 with the principal for a valid key', async () => {
    const res = await nginx(keys.kafka, ids.kafka);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-keyplane-principal')).toBe(saId);
    expect(res.headers.get('x-keyplane-key')).toBe(keys.kafka!.key);
  });

  it('answers 401 with a challenge for missing or wrong credentials', async () => {
    for (const res of [await nginx(undefined, ids.kafka), await nginx({ key: keys.kafka!.key, secret: 'nope' }, ids.kafka)]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Basic');
    }
  });

  it('answers 403 for a key of another resource and for a Cloud key, saying why', async () => {
    const other = await nginx(keys.otherKafka, ids.kafka);
    expect(other.status).toBe(403);
    expect(other.headers.get('x-keyplane-reason')).toBe('wrong_resource');
    const cloud = await nginx(keys.cloud, ids.kafka);
    expect(cloud.status).toBe(403);
    expect(cloud.headers.get('x-keyplane-reason')).toBe('cloud_key');
  });

  it('refuses when the configuration omits the resource or the verifier', async () => {
    const noResource = await nginx(keys.kafka, undefined);
    expect(noResource.status).toBe(403);
    expect(noResource.body.errors[0]).toMatchObject({ code: 'bad_request', source: { parameter: 'x-keyplane-resource' } });
    const noVerifier = await nginx(keys.kafka, ids.kafka, null);
    expect(noVerifier.status).toBe(401);
    expect(noVerifier.headers.get('x-keyplane-reason')).toBe('verifier_missing');
    expect(noVerifier.body.errors[0].source).toEqual({ parameter: 'x-keyplane-verifier' });
  });

  it("tells a refused verifier from a refused client in X-Keyplane-Reason", async () => {
    expect((await nginx(keys.kafka, ids.kafka, { key: keys.verifier!.key, secret: 'wrong' })).headers.get('x-keyplane-reason')).toBe('verifier_invalid');
    const notAllowed = await nginx(keys.kafka, ids.kafka, keys.cloud);
    expect(notAllowed.status).toBe(403);
    expect(notAllowed.headers.get('x-keyplane-reason')).toBe('verifier_not_allowed');
    expect((await nginx(undefined, ids.kafka)).headers.get('x-keyplane-reason')).toBe('missing_credentials');
    expect((await nginx({ key: keys.kafka!.key, secret: 'nope' }, ids.kafka)).headers.get('x-keyplane-reason')).toBe('invalid_credentials');
  });

  it('refuses a deleted key on the next request', async () => {
    const doomed = await newKey(saId, { id: ids.kafka!, environment: envId });
    expect((await nginx(doomed, ids.kafka)).status).toBe(200);
    expect((await kp.call('DELETE', `/iam/v2/api-keys/${doomed.key}`)).status).toBe(204);
    expect((await nginx(doomed, ids.kafka)).status).toBe(401);
  });
});

describe('authentication events', () => {
  it('reports successes and failures with key, principal, resource and reason, never a secret', async () => {
    events.length = 0;
    await nginx(keys.kafka, ids.kafka);
    await verify({ key: keys.kafka!.key, secret: 'wrong-secret', resource: ids.kafka });
    const client = events.filter((e) => e.keyId === keys.kafka!.key);
    expect(client).toEqual([
      expect.objectContaining({ outcome: 'success', via: 'nginx', principalId: saId, resource: ids.kafka }),
      expect.objectContaining({ outcome: 'failure', via: 'verify', reason: 'invalid_credentials', resource: ids.kafka }),
    ]);
    expect(client[1]!.principalId).toBeUndefined();
    expect(events.some((e) => e.keyId === keys.verifier!.key && e.outcome === 'success')).toBe(true);
    events.length = 0;
    await nginx(keys.kafka, ids.kafka, keys.cloud);
    // A verifier whose secret is right but who may not verify here is a failure, not a use.
    expect(events).toEqual([expect.objectContaining({ keyId: keys.cloud!.key, outcome: 'failure', reason: 'not_a_verifier' })]);
    const text = JSON.stringify(events);
    for (const key of Object.values(keys)) expect(text).not.toContain(key.secret);
  });
});
