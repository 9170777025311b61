import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane({ KEYPLANE_QUOTAS: 'iam.max_environments.per_org=7' });
});
afterAll(() => kp.close());

const BASE = '/service-quota/v1/applied-quotas';

interface Quota {
  id: string;
  scope: string;
  default_limit: number;
  applied_limit: number;
  usage?: number;
  organization: { id: string };
  kafka_cluster?: { id: string; environment: string };
  user?: { id: string };
}

async function list(query: string): Promise<Quota[]> {
  const res = await kp.call('GET', `${BASE}?${query}`);
  expect(res.status, res.text).toBe(200);
  expect(res.body).toMatchObject({ api_version: 'service-quota/v1', kind: 'AppliedQuotaList' });
  return res.body.data;
}

function byCode(quotas: Quota[]): Record<string, Quota> {
  return Object.fromEntries(quotas.map((q) => [q.id, q]));
}

describe('applied quotas', () => {
  it('lists the organization quotas with configured limits and live usage', async () => {
    const quotas = byCode(await list('scope=ORGANIZATION'));
    expect(Object.keys(quotas).sort()).toEqual([
      'iam.max_cloud_api_keys.per_org',
      'iam.max_environments.per_org',
      'iam.max_service_accounts.per_org',
    ]);
    expect(quotas['iam.max_environments.per_org']).toMatchObject({
      scope: 'ORGANIZATION',
      default_limit: 25,
      applied_limit: 7,
      usage: 1,
      organization: { id: kp.keyplane.services.orgId },
    });
    expect(quotas['iam.max_service_accounts.per_org']).toMatchObject({ default_limit: 1000, applied_limit: 1000 });
    const accounts = quotas['iam.max_service_accounts.per_org']!.usage!;
    const cloudKeys = quotas['iam.max_cloud_api_keys.per_org']!.usage!;

    expect((await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'quota-counted' } })).status).toBe(201);
    const after = byCode(await list('scope=ORGANIZATION'));
    expect(after['iam.max_service_accounts.per_org']!.usage).toBe(accounts + 1);
    expect(after['iam.max_cloud_api_keys.per_org']!.usage).toBe(cloudKeys);
  });

  it("reports the calling user's own key usage for USER_ACCOUNT quotas", async () => {
    const quotas = byCode(await list('scope=USER_ACCOUNT'));
    expect(Object.keys(quotas).sort()).toEqual(['iam.max_cloud_api_keys.per_user', 'iam.max_cluster_api_keys.per_user']);
    const cloud = quotas['iam.max_cloud_api_keys.per_user']!;
    expect(cloud).toMatchObject({ applied_limit: 10, user: { id: kp.admin.userId } });
    expect(cloud.usage).toBeGreaterThanOrEqual(1);
    expect(quotas['iam.max_cluster_api_keys.per_user']!.usage).toBe(0);
  });

  it('lists SERVICE_ACCOUNT quotas without usage', async () => {
    const quotas = await list('scope=SERVICE_ACCOUNT');
    expect(quotas.map((q) => q.id).sort()).toEqual([
      'iam.max_cloud_api_keys.per_service_account',
      'iam.max_cluster_api_keys.per_service_account',
    ]);
    for (const q of quotas) expect(q).not.toHaveProperty('usage');
  });

  it('counts the keys of the Kafka cluster named in the filter', async () => {
    const { store } = kp.keyplane.services;
    const env = (await store.find('environments', {}))!;
    const now = new Date().toISOString();
    await store.insert('resources', {
      id: 'lkc-quota1',
      type: 'kafka',
      environmentId: env.id,
      displayName: 'quota cluster',
      cloud: 'aws',
      region: 'us-east-1',
      attributes: '{}',
      createdAt: now,
      updatedAt: now,
    });
    const [unscoped] = await list('scope=KAFKA_CLUSTER');
    expect(unscoped).toMatchObject({ id: 'kafka.max_api_keys.per_cluster', applied_limit: 2000 });
    expect(unscoped).not.toHaveProperty('usage');
    expect(unscoped).not.toHaveProperty('kafka_cluster');

    const key = await kp.call('POST', '/iam/v2/api-keys', {
      body: { spec: { owner: { id: kp.admin.userId }, resource: { id: 'lkc-quota1' } } },
    });
    expect(key.status, key.text).toBe(202);
    const [scoped] = await list(`scope=KAFKA_CLUSTER&kafka_cluster=lkc-quota1&environment=${env.id}`);
    expect(scoped).toMatchObject({ usage: 1, kafka_cluster: { id: 'lkc-quota1', environment: env.id } });

    const mine = byCode(await list('scope=USER_ACCOUNT'));
    expect(mine['iam.max_cluster_api_keys.per_user']!.usage).toBe(1);

    const one = await kp.call('GET', `${BASE}/kafka.max_api_keys.per_cluster?kafka_cluster=lkc-quota1`);
    expect(one.body).toMatchObject({ usage: 1, kafka_cluster: { id: 'lkc-quota1' } });

    for (const query of ['kafka_cluster=lkc-none00', `kafka_cluster=lkc-quota1&environment=env-none00`]) {
      const bad = await kp.call('GET', `${BASE}?scope=KAFKA_CLUSTER&${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body.errors[0].code).toBe('invalid_filter');
    }
  });

  it('filters by quota code and pages consistently', async () => {
    const only = await list('scope=ORGANIZATION&id=iam.max_environments.per_org&id=iam.max_cloud_api_keys.per_org');
    expect(only.map((q) => q.id).sort()).toEqual(['iam.max_cloud_api_keys.per_org', 'iam.max_environments.per_org']);
    expect(await list('scope=ORGANIZATION&id=iam.max_cloud_api_keys.per_user')).toEqual([]);
    expect(await list('scope=ORGANIZATION&id=')).toHaveLength(3);

    const seen: string[] = [];
    let next: string | undefined = `${BASE}?scope=ORGANIZATION&page_size=2`;
    while (next) {
      const page: Reply = await kp.call('GET', next);
      expect(page.body.metadata.total_size).toBe(3);
      seen.push(...page.body.data.map((q: Quota) => q.id));
      next = page.body.metadata.next?.slice(kp.publicUrl.length);
    }
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(3);
  });

  it('requires a known scope', async () => {
    for (const query of ['', '?scope=', '?scope=GALAXY', '?scope=ENVIRONMENT&scope=x']) {
      const res = await kp.call('GET', `${BASE}${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', source: { parameter: 'scope' } });
    }
  });

  it('reads one quota by code and 404s an unknown code', async () => {
    const res = await kp.call('GET', `${BASE}/iam.max_environments.per_org`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      api_version: 'service-quota/v1',
      kind: 'AppliedQuota',
      id: 'iam.max_environments.per_org',
      scope: 'ORGANIZATION',
      applied_limit: 7,
      usage: 1,
      metadata: {
        self: `${kp.publicUrl}${BASE}/iam.max_environments.per_org`,
        resource_name: expect.stringContaining('/applied-quota=iam.max_environments.per_org'),
      },
    });
    const missing = await kp.call('GET', `${BASE}/iam.max_nothing`);
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].code).toBe('applied_quota_not_found');
  });

  it('refuses callers without credentials', async () => {
    const res = await kp.call('GET', `${BASE}?scope=ORGANIZATION`, { auth: false });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
  });
});
