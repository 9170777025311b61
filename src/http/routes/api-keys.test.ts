import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { addPrincipal } from '../../../test/support/principals.js';
import { startLastUsedRecorder } from '../../dataplane/last-used.js';
import type { AuthenticationEvent } from '../../services/authentication-events.js';

let kp: TestKeyplane;
let envId: string;
let otherEnvId: string;
let saId: string;
const resources: Record<string, string> = {};

async function created(res: { status: number; body: any; text: string }, ...statuses: number[]) {
  expect(statuses, res.text).toContain(res.status);
  return res.body;
}

beforeAll(async () => {
  kp = await startTestKeyplane({ KEYPLANE_QUOTAS: 'iam.max_cluster_api_keys.per_service_account=300' });
  envId = (await kp.keyplane.services.store.find('environments', { displayName: 'default' }))!.id;
  otherEnvId = (await created(await kp.call('POST', '/org/v2/environments', { body: { display_name: 'other' } }), 201)).id;
  saId = (await created(await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'orders-app' } }), 201)).id;
  const cluster = (env: string, extra: object) => ({
    spec: { display_name: 'c', cloud: 'AWS', region: 'us-east-1', environment: { id: env }, ...extra },
  });
  resources.kafka = (
    await created(
      await kp.call('POST', '/cmk/v2/clusters', { body: cluster(envId, { availability: 'SINGLE_ZONE', config: { kind: 'Basic' } }) }),
      201,
      202,
    )
  ).id;
  resources.otherKafka = (
    await created(
      await kp.call('POST', '/cmk/v2/clusters', { body: cluster(otherEnvId, { availability: 'SINGLE_ZONE', config: { kind: 'Basic' } }) }),
      201,
      202,
    )
  ).id;
  resources.sr = (await created(await kp.call('POST', '/srcm/v3/clusters', { body: cluster(envId, { package: 'ESSENTIALS' }) }), 200, 201, 202)).id;
  resources.ksql = (
    await created(
      await kp.call('POST', '/ksqldbcm/v2/clusters', { body: cluster(envId, { csu: 1, kafka_cluster: { id: resources.kafka } }) }),
      201,
      202,
    )
  ).id;
});
afterAll(() => kp.close());

const count = async () => (await kp.call('GET', '/iam/v2/api-keys?page_size=1')).body.metadata.total_size as number;

describe('the Terraform create → get → patch → get → delete → get sequence', () => {
  const scopes = [
    ['Kafka cluster', () => ({ id: resources.kafka, environment: envId }), 'Cluster', 'cmk/v2'],
    ['Schema Registry', () => ({ id: resources.sr, environment: envId }), 'SchemaRegistry', 'srcm/v3'],
    ['ksqlDB', () => ({ id: resources.ksql, environment: envId }), 'ksqlDB', 'ksqldbcm/v2'],
    ['Flink region', () => ({ id: 'aws.us-east-1', environment: envId }), 'Region', 'fcpm/v2'],
    ['Tableflow', () => ({ id: 'tableflow' }), 'Tableflow', 'tableflow/v1'],
    ['Cloud', () => ({ id: 'cloud' }), 'Cloud', 'iam/v2'],
    ['Global', () => ({ id: 'global' }), 'Global', 'global/v1'],
  ] as const;

  it.each(scopes)('%s', async (_, resource, kind, apiVersion) => {
    const body = {
      spec: {
        display_name: 'tf key',
        description: 'made by terraform',
        owner: { id: saId, kind: 'ServiceAccount', api_version: 'iam/v2', related: '', resource_name: '' },
        resource: { ...resource(), kind, api_version: apiVersion, related: '', resource_name: '' },
      },
    };
    const create = await kp.call('POST', '/iam/v2/api-keys', { body });
    expect(create.status).toBe(202);
    const id = create.body.id;
    expect(id).toMatch(/^[A-Z0-9]{16}$/);
    expect(create.body.spec.secret).toMatch(/^cflt[A-Za-z0-9+/]{60}$/);
    expect(create.body.spec.owner).toMatchObject({ id: saId, kind: 'ServiceAccount', api_version: 'iam/v2' });
    expect(create.body.spec.resource).toMatchObject({ id: resource().id, kind, api_version: apiVersion });
    expect(create.body.spec.resource.resource_name).toMatch(/^crn:\/\/confluent\.cloud\/organization=/);
    expect(create.body.metadata.self).toBe(`${kp.publicUrl}/iam/v2/api-keys/${id}`);

    const get = await kp.call('GET', `/iam/v2/api-keys/${id}`);
    expect(get.status).toBe(200);
    expect(get.body.spec).not.toHaveProperty('secret');
    expect(get.text).not.toContain(create.body.spec.secret);
    expect(get.body.spec.display_name).toBe('tf key');

    const patch = await kp.call('PATCH', `/iam/v2/api-keys/${id}`, {
      body: { spec: { display_name: 'renamed', description: 'changed' } },
    });
    expect(patch.status).toBe(200);
    expect(patch.body.spec).toMatchObject({ display_name: 'renamed', description: 'changed' });
    expect(patch.body.spec).not.toHaveProperty('secret');

    const after = await kp.call('GET', `/iam/v2/api-keys/${id}`);
    expect(after.body.spec).toMatchObject({ display_name: 'renamed', description: 'changed' });
    expect(after.body.spec.resource).toEqual(get.body.spec.resource);
    expect(after.body.metadata.created_at).toBe(get.body.metadata.created_at);

    expect((await kp.call('DELETE', `/iam/v2/api-keys/${id}`)).status).toBe(204);
    const gone = await kp.call('GET', `/iam/v2/api-keys/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.errors[0].code).toBe('api_key_not_found');
  });
});

describe('creating keys as clients send them', () => {
  it('infers kinds from ids alone, case-insensitively', async () => {
    const cloud = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: saId }, resource: { id: 'CLOUD' } } } });
    expect(cloud.body.spec.resource).toMatchObject({ id: 'cloud', kind: 'Cloud' });
    const kafka = await kp.call('POST', '/iam/v2/api-keys', {
      body: { spec: { owner: { id: saId }, resource: { id: resources.kafka!.toUpperCase() } } },
    });
    expect(kafka.status).toBe(202);
    expect(kafka.body.spec.resource).toMatchObject({ id: resources.kafka, kind: 'Cluster', environment: envId });
    const user = await kp.call('POST', '/iam/v2/api-keys', {
      body: { spec: { owner: { id: kp.admin.userId.toUpperCase() }, resource: null } },
    });
    expect(user.status).toBe(202);
    expect(user.body.spec.owner).toMatchObject({ id: kp.admin.userId, kind: 'User' });
    const byUpperOwner = await kp.call('GET', `/iam/v2/api-keys?spec.owner=${saId.toUpperCase()}`);
    expect(byUpperOwner.body.metadata.total_size).toBeGreaterThan(0);
    expect(user.body.spec.resource.kind).toBe('Cloud');
  });

  it('treats a missing resource as a Cloud key and ignores unknown fields', async () => {
    const res = await kp.call('POST', '/iam/v2/api-keys', {
      body: { spec: { owner: { id: saId }, colour: 'blue' }, extra: true },
    });
    expect(res.status).toBe(202);
    expect(res.body.spec.resource.kind).toBe('Cloud');
  });
});

describe('listing keys', () => {
  it('filters by owner and by resource; empty filters mean no filter', async () => {
    const all = (await kp.call('GET', '/iam/v2/api-keys?page_size=100')).body;
    const empty = (await kp.call('GET', '/iam/v2/api-keys?page_size=100&spec.owner=&spec.resource=')).body;
    expect(empty.metadata.total_size).toBe(all.metadata.total_size);
    const mine = (await kp.call('GET', `/iam/v2/api-keys?spec.owner=${saId}`)).body;
    expect(mine.data.length).toBeGreaterThan(0);
    expect(mine.data.every((k: any) => k.spec.owner.id === saId)).toBe(true);
    const onCluster = (await kp.call('GET', `/iam/v2/api-keys?spec.resource=${resources.kafka}`)).body;
    expect(onCluster.data.every((k: any) => k.spec.resource.id === resources.kafka)).toBe(true);
    expect(onCluster.data.length).toBeGreaterThan(0);
    expect(all.data.every((k: any) => !('secret' in k.spec))).toBe(true);
  });

  it('pages through 250 keys with page_size=99 by following metadata.next, each exactly once', async () => {
    const owner = (await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'pager' } })).body.id;
    const made = new Set<string>();
    for (let i = 0; i < 250; i++) {
      const res = await kp.call('POST', '/iam/v2/api-keys', {
        body: { spec: { owner: { id: owner }, resource: { id: resources.kafka }, description: `k${i}` } },
      });
      expect(res.status).toBe(202);
      made.add(res.body.id);
    }
    const seen: string[] = [];
    let url: string | undefined = `/iam/v2/api-keys?spec.owner=${owner}&page_size=99`;
    let pages = 0;
    while (url) {
      const page: any = (await kp.call('GET', url)).body;
      expect(page.metadata.total_size).toBe(250);
      expect(page.data.length).toBeLessThanOrEqual(99);
      seen.push(...page.data.map((k: any) => k.id));
      pages++;
      if (page.metadata.next) {
        expect(page.metadata.next).toMatch(new RegExp(`^${kp.publicUrl}/iam/v2/api-keys\\?.*page_token=`));
        expect(page.metadata.next).toContain('page_size=99');
        url = page.metadata.next.slice(kp.publicUrl.length);
      } else {
        url = undefined;
      }
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(250);
    expect(new Set(seen)).toEqual(made);
  });

  it('refuses a bad page size or a forged page token', async () => {
    for (const q of ['page_size=0', 'page_size=abc', 'page_size=-5']) {
      const res = await kp.call('GET', `/iam/v2/api-keys?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].source).toEqual({ parameter: 'page_size' });
    }
    const forged = await kp.call('GET', '/iam/v2/api-keys?page_token=not-a-token');
    expect(forged.status).toBe(400);
    expect(forged.body.errors[0]).toMatchObject({ code: 'invalid_page_token', source: { parameter: 'page_token' } });
    const big = await kp.call('GET', '/iam/v2/api-keys?page_size=500');
    expect(big.status).toBe(200);
    expect(big.body.data.length).toBeLessThanOrEqual(100);
  });
});

describe('bad input gets a clear 4xx and changes nothing', () => {
  const cases: Array<[string, () => { raw?: string; body?: unknown }, number, string, string?]> = [
    ['malformed JSON', () => ({ raw: '{"spec":' }), 400, 'invalid_json'],
    ['an array body', () => ({ body: [1] }), 400, 'bad_request', ''],
    ['no spec', () => ({ body: {} }), 400, 'bad_request', '/spec'],
    ['no owner', () => ({ body: { spec: {} } }), 400, 'bad_request', '/spec/owner'],
    ['an owner id of the wrong type', () => ({ body: { spec: { owner: { id: 42 } } } }), 400, 'bad_request', '/spec/owner/id'],
    ['a description of the wrong type', () => ({ body: { spec: { owner: { id: saId }, description: 5 } } }), 400, 'bad_request', '/spec/description'],
    ['an owner that is neither user nor account', () => ({ body: { spec: { owner: { id: 'env-abc123' } } } }), 422, 'invalid_configuration', '/spec/owner/id'],
    ['an owner that does not exist', () => ({ body: { spec: { owner: { id: 'sa-nobody' } } } }), 422, 'invalid_configuration', '/spec/owner/id'],
    ['an unknown resource kind', () => ({ body: { spec: { owner: { id: saId }, resource: { id: 'kafka-1' } } } }), 422, 'invalid_configuration', '/spec/resource/id'],
    ['a cluster that does not exist', () => ({ body: { spec: { owner: { id: saId }, resource: { id: 'lkc-zzzzzz' } } } }), 422, 'invalid_configuration', '/spec/resource/id'],
    [
      'a cluster in another environment',
      () => ({ body: { spec: { owner: { id: saId }, resource: { id: resources.otherKafka, environment: envId } } } }),
      422,
      'invalid_configuration',
      '/spec/resource/environment',
    ],
    ['a Flink key without an environment', () => ({ body: { spec: { owner: { id: saId }, resource: { id: 'aws.us-east-1' } } } }), 422, 'invalid_configuration', '/spec/resource/environment'],
    ['an unknown Flink region', () => ({ body: { spec: { owner: { id: saId }, resource: { id: 'aws.mars-1', environment: envId } } } }), 422, 'invalid_configuration', '/spec/resource/id'],
    ['a Flink key in an unknown environment', () => ({ body: { spec: { owner: { id: saId }, resource: { id: 'aws.us-east-1', environment: 'env-nope00' } } } }), 422, 'invalid_configuration', '/spec/resource/environment'],
    ['a description over 128 characters', () => ({ body: { spec: { owner: { id: saId }, description: 'd'.repeat(129) } } }), 400, 'bad_request', '/spec/description'],
    ['a display name over 64 characters', () => ({ body: { spec: { owner: { id: saId }, display_name: 'n'.repeat(65) } } }), 400, 'bad_request', '/spec/display_name'],
    ['a control character in the name', () => ({ body: { spec: { owner: { id: saId }, display_name: 'a\u0007b' } } }), 400, 'bad_request', '/spec/display_name'],
  ];

  it.each(cases)('%s', async (_, request, status, code, pointer) => {
    const before = await count();
    const res = await kp.call('POST', '/iam/v2/api-keys', request());
    expect(res.status).toBe(status);
    expect(res.body.errors[0].code).toBe(code);
    if (pointer !== undefined) expect(res.body.errors[0].source?.pointer).toBe(pointer);
    expect(await count()).toBe(before);
  });

  it('answers unknown ids with 404 api_key_not_found on get, patch and delete', async () => {
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { spec: { description: 'x' } }],
      ['DELETE', undefined],
    ] as const) {
      const res = await kp.call(method, '/iam/v2/api-keys/NOSUCHKEY0000000', { body });
      expect(res.status).toBe(404);
      expect(res.body.errors[0].code).toBe('api_key_not_found');
    }
  });

  it('lets PATCH repeat the owner and resource but not change them', async () => {
    const key = (await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: saId } } } })).body;
    const same = await kp.call('PATCH', `/iam/v2/api-keys/${key.id}`, {
      body: { spec: { description: 'ok', owner: { id: saId }, resource: { id: 'cloud' } } },
    });
    expect(same.status).toBe(200);
    const moved = await kp.call('PATCH', `/iam/v2/api-keys/${key.id}`, {
      body: { spec: { description: 'not ok', owner: { id: kp.admin.userId } } },
    });
    expect(moved.status).toBe(422);
    expect(moved.body.errors[0].source.pointer).toBe('/spec/owner/id');
    expect((await kp.call('GET', `/iam/v2/api-keys/${key.id}`)).body.spec.description).toBe('ok');
    const badType = await kp.call('PATCH', `/iam/v2/api-keys/${key.id}`, { body: { spec: { description: ['x'] } } });
    expect(badType.status).toBe(400);
    expect(badType.body.errors[0].source.pointer).toBe('/spec/description');
  });
});

describe('key quotas', () => {
  it('refuses a key past the per-user limit with 402 naming the quota', async () => {
    const limited = await startTestKeyplane({ KEYPLANE_QUOTAS: 'iam.max_cloud_api_keys.per_user=2' });
    try {
      const make = () => limited.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: limited.admin.userId } } } });
      expect((await make()).status).toBe(202);
      const refused = await make();
      expect(refused.status).toBe(402);
      expect(refused.body.errors[0]).toMatchObject({ code: 'quota_exceeded' });
      expect(refused.body.errors[0].detail).toContain('iam.max_cloud_api_keys.per_user');
      expect((await limited.call('GET', '/iam/v2/api-keys')).body.metadata.total_size).toBe(2);
    } finally {
      await limited.close();
    }
  });

  it('gives exactly the limit when creations for one owner race', async () => {
    const limited = await startTestKeyplane({ KEYPLANE_QUOTAS: 'iam.max_cloud_api_keys.per_service_account=5' });
    try {
      const sa = (await limited.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'racer' } })).body.id;
      const results = await Promise.all(
        Array.from({ length: 40 }, () => limited.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: sa } } } })),
      );
      expect(results.filter((r) => r.status === 202)).toHaveLength(5);
      expect(results.filter((r) => r.status === 402)).toHaveLength(35);
      expect((await limited.call('GET', `/iam/v2/api-keys?spec.owner=${sa}`)).body.metadata.total_size).toBe(5);
    } finally {
      await limited.close();
    }
  });
});

describe('last use', () => {
  const used = (keyId: string, iso: string): AuthenticationEvent => ({ time: Date.parse(iso), outcome: 'success', keyId, via: 'verify' });

  /** Writes the uses as the server's recorder would, at once; the recorder's timer never fires here. */
  async function recordUses(...events: AuthenticationEvent[]): Promise<void> {
    const recorder = startLastUsedRecorder(kp.keyplane.services.store, { every: () => () => {} });
    for (const event of events) recorder.authenticated(event);
    await recorder.flush();
    await recorder.stop();
  }

  const makeKey = async (owner: string, resource?: string) => {
    const res = await kp.call('POST', '/iam/v2/api-keys', {
      body: { spec: { owner: { id: owner }, ...(resource ? { resource: { id: resource } } : {}) } },
    });
    expect(res.status, res.text).toBe(202);
    return res.body;
  };

  it('shows spec.last_used_at: null until the key is used, then the minute of its last use', async () => {
    const key = await makeKey(saId);
    expect(key.spec.last_used_at).toBeNull();
    expect((await kp.call('GET', `/iam/v2/api-keys/${key.id}`)).body.spec.last_used_at).toBeNull();
    await recordUses(used(key.id, '2026-03-01T10:00:30.500Z'), used(key.id, '2026-03-01T10:02:59.999Z'));
    const read = await kp.call('GET', `/iam/v2/api-keys/${key.id}`);
    expect(read.body.spec.last_used_at).toBe('2026-03-01T10:02:00.000Z');
    const listed = await kp.call('GET', `/iam/v2/api-keys?spec.owner=${saId}&page_size=100`);
    expect(listed.body.data.find((k: any) => k.id === key.id).spec.last_used_at).toBe('2026-03-01T10:02:00.000Z');
    await recordUses(used(key.id, '2026-02-01T00:00:00Z'));
    expect((await kp.call('GET', `/iam/v2/api-keys/${key.id}`)).body.spec.last_used_at).toBe('2026-03-01T10:02:00.000Z');
  });

  it('lists the keys unused since a time, with the other filters, the caller’s visibility and paging', async () => {
    const owner = (await created(await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'idle-check' } }), 201)).id;
    const never = (await makeKey(owner)).id;
    const lateUse = (await makeKey(owner)).id;
    const onCluster = (await makeKey(owner, resources.kafka)).id;
    const earlyUse = (await makeKey(owner)).id;
    await recordUses(
      used(lateUse, '2026-03-01T10:00:30Z'),
      used(onCluster, '2026-03-05T12:00:00Z'),
      used(earlyUse, '2026-03-01T09:59:59Z'),
    );
    const ids = async (query: string, auth?: { key: string; secret: string }) => {
      const res = await kp.call('GET', `/iam/v2/api-keys?page_size=100&${query}`, auth ? { auth } : {});
      expect(res.status, res.text).toBe(200);
      expect(res.body.metadata.total_size).toBe(res.body.data.length);
      // Keys made in one millisecond are listed by id: the order among them is not creation order.
      return res.body.data.map((k: any) => k.id).sort();
    };
    const set = (...keys: string[]) => [...keys].sort();
    expect(await ids(`spec.owner=${owner}&unused_since=2026-03-02T00:00:00Z`)).toEqual(set(never, lateUse, earlyUse));
    expect(await ids(`spec.owner=${owner}&unused_since=2026-03-01T10:00:00Z`)).toEqual(set(never, earlyUse));
    expect(await ids(`spec.owner=${owner}&unused_since=${encodeURIComponent('2026-03-01T11:00:00+01:00')}`)).toEqual(set(never, earlyUse));
    expect(await ids(`spec.owner=${owner}&unused_since=2026-03-01T11:00:00+01:00`)).toEqual(set(never, earlyUse));
    expect(await ids(`spec.owner=${owner}&unused_since=2026-03-01T09:00:00-01:00`)).toEqual(set(never, earlyUse));
    expect(await ids(`spec.owner=${owner}&unused_since=2026-01-01T00:00:00Z`)).toEqual(set(never));
    expect(await ids(`spec.owner=${owner}&spec.resource=${resources.kafka}&unused_since=2026-04-01T00:00:00Z`)).toEqual(set(onCluster));
    expect(await ids(`spec.owner=${owner}&spec.resource=${resources.kafka}&unused_since=2026-03-05T12:00:00Z`)).toEqual([]);

    const seen: string[] = [];
    let url: string | undefined = `/iam/v2/api-keys?spec.owner=${owner}&unused_since=2026-03-02T00:00:00Z&page_size=1`;
    while (url) {
      const page: any = (await kp.call('GET', url)).body;
      expect(page.metadata.total_size).toBe(3);
      seen.push(...page.data.map((k: any) => k.id));
      if (page.metadata.next) expect(page.metadata.next).toContain('unused_since=2026-03-02T00%3A00%3A00Z');
      url = page.metadata.next?.slice(kp.publicUrl.length);
    }
    expect(seen.sort()).toEqual(set(never, lateUse, earlyUse));

    // A user with no role bindings sees only its own keys, whatever the filter.
    const outsider = await addPrincipal(kp, 'user');
    expect(await ids('unused_since=2100-01-01T00:00:00Z', outsider.auth)).toEqual(set(outsider.key));
    expect(await ids(`spec.owner=${owner}&unused_since=2100-01-01T00:00:00Z`, outsider.auth)).toEqual([]);
    expect(await ids(`spec.owner=${owner}&unused_since=2100-01-01T00:00:00Z`)).toEqual(set(never, lateUse, onCluster, earlyUse));
  });

  it('refuses an unused_since that is not an RFC 3339 date-time with 400 naming the parameter; empty means no filter', async () => {
    const malformed = [
      'yesterday',
      '2026-03-01',
      '1772359200',
      '2026-03-01T10:00:00',
      '2026-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-03-01T24:00:00Z',
      '2026-03-01T10:00:00+2:00',
      '2026-03-01T10:00:00+24:00',
      '10000-01-01T00:00:00Z',
      `2026-03-01T10:00:00.${'1'.repeat(80)}Z`,
    ];
    for (const value of malformed) {
      const res = await kp.call('GET', `/iam/v2/api-keys?unused_since=${encodeURIComponent(value)}`);
      expect(res.status, value).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', source: { parameter: 'unused_since' } });
      expect(res.body.errors[0].detail).toContain('unused_since');
    }
    for (const value of ['2024-02-29T00:00:00Z', '2026-03-01t10:00:00.123456789z', '2026-03-01 10:00:00-05:30']) {
      expect((await kp.call('GET', `/iam/v2/api-keys?unused_since=${encodeURIComponent(value)}`)).status, value).toBe(200);
    }
    const all = (await kp.call('GET', '/iam/v2/api-keys?page_size=1')).body.metadata.total_size;
    expect((await kp.call('GET', '/iam/v2/api-keys?page_size=1&unused_since=')).body.metadata.total_size).toBe(all);
  });
});

describe('a created key is usable at once', () => {
  it('even when this node cached a miss for its id before the create committed', async () => {
    const { services } = kp.keyplane;
    const transaction = services.store.transaction.bind(services.store);
    let missCached = false;
    // A request presenting the new id between the insert and the commit finds nothing and
    // caches the miss; this plays that request at the end of the call's (outermost) transaction,
    // just before it commits.
    const spy = vi.spyOn(services.store, 'transaction').mockImplementation((fn) =>
      transaction(async (tx) => {
        const result = await fn(tx);
        const id = result instanceof Response ? ((await result.clone().json()) as { id?: unknown }).id : undefined;
        if (typeof id === 'string') {
          const lookup = services.keys.lookup(id);
          if (!lookup.hit) services.keys.remember(id, null, lookup.generation);
          missCached = services.keys.lookup(id).hit;
        }
        return result;
      }),
    );
    let key: any;
    try {
      key = (await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: kp.admin.userId } } } })).body;
    } finally {
      spy.mockRestore();
    }
    expect(missCached).toBe(true);
    const own = await kp.call('GET', `/iam/v2/api-keys/${key.id}`, { auth: { key: key.id, secret: key.spec.secret } });
    expect(own.status, own.text).toBe(200);
  });
});
