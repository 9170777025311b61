import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp.close());

async function total(): Promise<number> {
  return (await kp.call('GET', '/org/v2/environments')).body.metadata.total_size;
}

async function createEnv(body: unknown = { display_name: 'env' }): Promise<string> {
  const res = await kp.call('POST', '/org/v2/environments', { body });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('environments', () => {
  it('starts with the default environment', async () => {
    const res = await kp.call('GET', '/org/v2/environments');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ api_version: 'org/v2', kind: 'EnvironmentList', metadata: { total_size: 1 } });
    expect(res.body.data[0].display_name).toBe('default');
  });

  it('creates an environment with a Location, and reads it back', async () => {
    const res = await kp.call('POST', '/org/v2/environments', {
      body: { display_name: 'prod', stream_governance_config: { package: 'essentials' }, id: 'env-ignored', kind: 'x' },
    });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    expect(id).toMatch(/^env-[a-z0-9]{6}$/);
    expect(res.headers.get('location')).toBe(`${kp.publicUrl}/org/v2/environments/${id}`);
    expect(res.body).toMatchObject({
      api_version: 'org/v2',
      kind: 'Environment',
      display_name: 'prod',
      stream_governance_config: { package: 'ESSENTIALS' },
      metadata: {
        self: `${kp.publicUrl}/org/v2/environments/${id}`,
        resource_name: `crn://confluent.cloud/organization=${kp.keyplane.services.orgId}/environment=${id}`,
      },
    });
    const read = await kp.call('GET', `/org/v2/environments/${id.toUpperCase()}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);

    const plain = await kp.call('POST', '/org/v2/environments', { body: { display_name: 'dev', stream_governance_config: null } });
    expect(plain.status).toBe(201);
    expect(plain.body.stream_governance_config).toBeUndefined();
  });

  it('pages the list', async () => {
    const all = await total();
    const first = await kp.call('GET', '/org/v2/environments?page_size=1');
    expect(first.body.data).toHaveLength(1);
    expect(first.body.metadata.total_size).toBe(all);
    const next = new URL(first.body.metadata.next);
    const second = await kp.call('GET', `${next.pathname}${next.search}`);
    expect(second.status).toBe(200);
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
    expect((await kp.call('GET', '/org/v2/environments?page_token=garbage')).status).toBe(400);
  });

  it('refuses bad creates and changes nothing', async () => {
    const before = await total();
    const cases: Array<[unknown, number, string, string]> = [
      [{}, 400, 'bad_request', '/display_name'],
      [{ display_name: 7 }, 400, 'bad_request', '/display_name'],
      [{ display_name: '   ' }, 400, 'bad_request', '/display_name'],
      [{ display_name: 'x'.repeat(65) }, 400, 'bad_request', '/display_name'],
      [{ display_name: 'a\u0000b' }, 400, 'bad_request', '/display_name'],
      [{ display_name: 'ok', stream_governance_config: 'ADVANCED' }, 400, 'bad_request', '/stream_governance_config'],
      [{ display_name: 'ok', stream_governance_config: { package: 3 } }, 400, 'bad_request', '/stream_governance_config/package'],
      [{ display_name: 'ok', stream_governance_config: { package: 'GOLD' } }, 422, 'invalid_configuration', '/stream_governance_config/package'],
    ];
    for (const [body, status, code, pointer] of cases) {
      const res = await kp.call('POST', '/org/v2/environments', { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.errors[0]).toMatchObject({ code, source: { pointer } });
    }
    const malformed = await kp.call('POST', '/org/v2/environments', { raw: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].code).toBe('invalid_json');
    const array = await kp.call('POST', '/org/v2/environments', { body: [] });
    expect(array.status).toBe(400);
    expect(await total()).toBe(before);
  });

  it('renames an environment and upgrades, but never downgrades, its package', async () => {
    const id = await createEnv({ display_name: 'staging' });
    const renamed = await kp.call('PATCH', `/org/v2/environments/${id}`, { body: { display_name: 'stage' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.display_name).toBe('stage');
    const essentials = await kp.call('PATCH', `/org/v2/environments/${id}`, {
      body: { stream_governance_config: { package: 'ESSENTIALS' } },
    });
    expect(essentials.body).toMatchObject({ display_name: 'stage', stream_governance_config: { package: 'ESSENTIALS' } });
    const advanced = await kp.call('PATCH', `/org/v2/environments/${id}`, {
      body: { display_name: null, stream_governance_config: { package: 'ADVANCED' } },
    });
    expect(advanced.body).toMatchObject({ display_name: 'stage', stream_governance_config: { package: 'ADVANCED' } });

    const down = await kp.call('PATCH', `/org/v2/environments/${id}`, {
      body: { display_name: 'other', stream_governance_config: { package: 'ESSENTIALS' } },
    });
    expect(down.status).toBe(422);
    expect(down.body.errors[0]).toMatchObject({ code: 'invalid_configuration', source: { pointer: '/stream_governance_config/package' } });
    const wrongType = await kp.call('PATCH', `/org/v2/environments/${id}`, { body: { display_name: ['x'] } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors[0].source.pointer).toBe('/display_name');
    const empty = await kp.call('PATCH', `/org/v2/environments/${id}`, { body: { display_name: '' } });
    expect(empty.status).toBe(400);
    const malformed = await kp.call('PATCH', `/org/v2/environments/${id}`, { raw: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    const read = await kp.call('GET', `/org/v2/environments/${id}`);
    expect(read.body).toMatchObject({ display_name: 'stage', stream_governance_config: { package: 'ADVANCED' } });
  });

  it('404s an unknown environment on every method', async () => {
    for (const [method, body] of [['GET'], ['PATCH', { display_name: 'x' }], ['DELETE']] as const) {
      const res = await kp.call(method, '/org/v2/environments/env-nope00', { body });
      expect(res.status, method).toBe(404);
      expect(res.body.errors[0].code).toBe('environment_not_found');
    }
  });

  it('deletes an environment with its resources and the keys scoped to them, in one go', async () => {
    const id = await createEnv({ display_name: 'doomed' });
    const { store } = kp.keyplane.services;
    const now = new Date().toISOString();
    await store.insert('resources', {
      id: 'lkc-doomed',
      type: 'kafka',
      environmentId: id,
      displayName: 'orders',
      cloud: 'AWS',
      region: 'us-east-1',
      attributes: '{}',
      createdAt: now,
      updatedAt: now,
    });
    const key = {
      ownerId: kp.admin.userId,
      ownerKind: 'User',
      scopeKind: 'Cluster',
      resourceId: 'lkc-doomed',
      displayName: '',
      description: '',
      secretHash: 'x',
      pepperVersion: 1,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
    };
    await store.insert('apiKeys', { ...key, id: 'DOOMEDKEY0000001', resourceEnvironmentId: id });
    await store.insert('apiKeys', { ...key, id: 'SURVIVORKEY00001', scopeKind: 'Cloud', resourceId: 'cloud', resourceEnvironmentId: null });

    const res = await kp.call('DELETE', `/org/v2/environments/${id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await store.get('resources', 'lkc-doomed')).toBeUndefined();
    expect(await store.get('apiKeys', 'DOOMEDKEY0000001')).toBeUndefined();
    expect(await store.get('apiKeys', 'SURVIVORKEY00001')).toBeDefined();
    expect((await kp.call('GET', `/org/v2/environments/${id}`)).status).toBe(404);
    expect((await kp.call('DELETE', `/org/v2/environments/${id}`)).status).toBe(404);
  });

  it('needs valid credentials and changes nothing without them', async () => {
    const before = await total();
    const none = await kp.call('POST', '/org/v2/environments', { auth: false, body: { display_name: 'x' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await kp.call('POST', '/org/v2/environments', {
      auth: { key: kp.admin.key, secret: 'not-the-secret' },
      body: { display_name: 'x' },
    });
    expect(wrong.status).toBe(401);
    expect((await kp.call('GET', '/org/v2/environments', { auth: false })).status).toBe(401);
    expect(await total()).toBe(before);
  });
});

describe('environment quota', () => {
  it('refuses the environment past iam.max_environments.per_org with 402', async () => {
    const limited = await startTestKeyplane({ KEYPLANE_QUOTAS: 'iam.max_environments.per_org=2' });
    try {
      expect((await limited.call('POST', '/org/v2/environments', { body: { display_name: 'second' } })).status).toBe(201);
      const res = await limited.call('POST', '/org/v2/environments', { body: { display_name: 'third' } });
      expect(res.status).toBe(402);
      expect(res.body.errors[0].code).toBe('quota_exceeded');
      expect(res.body.errors[0].detail).toContain('iam.max_environments.per_org');
      expect((await limited.call('GET', '/org/v2/environments')).body.metadata.total_size).toBe(2);
    } finally {
      await limited.close();
    }
  });
});
