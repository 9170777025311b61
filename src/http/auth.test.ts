import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../test/support/harness.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp.close());

async function newKey(resource?: string) {
  const res = await kp.call('POST', '/iam/v2/api-keys', {
    body: { spec: { owner: { id: kp.admin.userId }, ...(resource ? { resource: { id: resource } } : {}) } },
  });
  expect(res.status).toBe(202);
  return { key: res.body.id as string, secret: res.body.spec.secret as string };
}

function expectUnauthenticated(res: { status: number; headers: Headers; body: any }) {
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Keyplane"/);
  expect(res.body.errors[0].code).toBe('user_unauthenticated');
}

describe('management API authentication', () => {
  it('refuses a request without credentials', async () => {
    const res = await kp.call('GET', '/iam/v2/api-keys', { auth: false });
    expectUnauthenticated(res);
    expect(res.body.errors[0].detail).toMatch(/Cloud API key/);
  });

  it.each([
    ['a Bearer token', 'Bearer abc'],
    ['Basic with garbage', 'Basic !!!'],
    ['Basic without a colon', `Basic ${Buffer.from('nocolon').toString('base64')}`],
    ['Basic with an empty key', `Basic ${Buffer.from(':secret').toString('base64')}`],
  ])('refuses %s', async (_, header) => {
    expectUnauthenticated(await kp.call('GET', '/iam/v2/api-keys', { auth: header }));
  });

  it('gives the same answer for an unknown key and a wrong secret', async () => {
    const unknown = await kp.call('GET', '/iam/v2/api-keys', { auth: { key: 'UNKNOWNKEY000000', secret: kp.admin.secret } });
    const wrong = await kp.call('GET', '/iam/v2/api-keys', {
      auth: { key: kp.admin.key, secret: `${kp.admin.secret.slice(0, -1)}x` },
    });
    expectUnauthenticated(unknown);
    expectUnauthenticated(wrong);
    expect(unknown.body.errors[0].detail).toBe(wrong.body.errors[0].detail);
    expect(wrong.text).not.toContain(kp.admin.secret.slice(4, 20));
  });

  it('accepts Cloud and Global keys', async () => {
    const cloud = await newKey();
    const global = await newKey('global');
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: cloud })).status).toBe(200);
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: global })).status).toBe(200);
  });

  it('refuses a resource-scoped key, saying a Cloud API key is needed', async () => {
    const tableflow = await newKey('tableflow');
    const res = await kp.call('GET', '/iam/v2/api-keys', { auth: tableflow });
    expectUnauthenticated(res);
    expect(res.body.errors[0].detail).toMatch(/needs a Cloud API key/);
  });

  it('refuses a deleted key at once', async () => {
    const doomed = await newKey();
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: doomed })).status).toBe(200);
    expect((await kp.call('DELETE', `/iam/v2/api-keys/${doomed.key}`)).status).toBe(204);
    expectUnauthenticated(await kp.call('GET', '/iam/v2/api-keys', { auth: doomed }));
  });

  it('refuses a key whose owner no longer exists', async () => {
    const store = kp.keyplane.services.store;
    const now = new Date().toISOString();
    await store.insert('serviceAccounts', { id: 'sa-gone01', displayName: 'gone', description: '', createdAt: now, updatedAt: now });
    const res = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: 'sa-gone01' } } } });
    const orphan = { key: res.body.id, secret: res.body.spec.secret };
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: orphan })).status).toBe(200);
    await store.delete('serviceAccounts', 'sa-gone01');
    // The row went behind the services' back, so nothing told the key cache; start it cold.
    kp.keyplane.services.keys.clear();
    expectUnauthenticated(await kp.call('GET', '/iam/v2/api-keys', { auth: orphan }));
  });

  it('leaves health and the OpenAPI document open', async () => {
    expect((await kp.call('GET', '/healthz', { auth: false })).body).toEqual({ status: 'ok', database: 'ok' });
    expect((await kp.call('GET', '/openapi.json', { auth: false })).status).toBe(200);
  });
});
