import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';

let kp: TestKeyplane;
let env: string;
let otherEnv: string;
/** A Kafka cluster in `env` for ksqlDB clusters to run on. */
let hostKafka: string;

beforeAll(async () => {
  kp = await startTestKeyplane();
  const store = kp.keyplane.services.store;
  env = (await store.find('environments', { displayName: 'default' }))!.id;
  otherEnv = 'env-other1';
  const now = new Date().toISOString();
  await store.insert('environments', {
    id: otherEnv,
    displayName: 'other',
    streamGovernancePackage: null,
    createdAt: now,
    updatedAt: now,
  });
  const res = await kp.call('POST', '/cmk/v2/clusters', { body: kafkaBody('host', env) });
  hostKafka = res.body.id;
});
afterAll(() => kp.close());

function kafkaBody(name: string, environment: string) {
  return {
    spec: {
      display_name: name,
      cloud: 'aws',
      region: 'us-east-1',
      availability: 'SINGLE_ZONE',
      config: { kind: 'Basic' },
      environment: { id: environment, related: '', resource_name: '' },
    },
  };
}

const count = () => kp.keyplane.services.store.count('resources', {});

interface Case {
  name: string;
  path: string;
  apiVersion: string;
  prefix: string;
  notFound: string;
  createStatus: number;
  body: (name: string, environment: string) => { spec: Record<string, unknown> };
  /** A change beyond the display name that this type allows, and how it shows. */
  change: Record<string, unknown>;
  changed: Record<string, unknown>;
}

const cases: Case[] = [
  {
    name: 'Kafka clusters',
    path: '/cmk/v2/clusters',
    apiVersion: 'cmk/v2',
    prefix: 'lkc-',
    notFound: 'kafka_cluster_not_found',
    createStatus: 202,
    body: kafkaBody,
    change: { availability: 'multi_zone', config: { kind: 'Standard' } },
    changed: { availability: 'MULTI_ZONE', config: { kind: 'Standard' } },
  },
  {
    name: 'Schema Registry clusters',
    path: '/srcm/v3/clusters',
    apiVersion: 'srcm/v3',
    prefix: 'lsrc-',
    notFound: 'schema_registry_not_found',
    createStatus: 201,
    body: (name, environment) => ({
      spec: { display_name: name, cloud: 'GCP', region: 'us-central1', package: 'essentials', environment: { id: environment } },
    }),
    change: { package: 'ADVANCED' },
    changed: { package: 'ADVANCED' },
  },
  {
    name: 'ksqlDB clusters',
    path: '/ksqldbcm/v2/clusters',
    apiVersion: 'ksqldbcm/v2',
    prefix: 'lksqlc-',
    notFound: 'ksqldb_cluster_not_found',
    createStatus: 202,
    body: (name, environment) => ({
      spec: { display_name: name, csu: 2, kafka_cluster: { id: hostKafka }, environment: { id: environment } },
    }),
    change: {},
    changed: { csu: 2 },
  },
];

describe.each(cases)('$name', (t) => {
  it('creates, reads, lists, changes and deletes', async () => {
    const created = await kp.call('POST', t.path, { body: t.body('first', env) });
    expect(created.status).toBe(t.createStatus);
    const id: string = created.body.id;
    expect(id.startsWith(t.prefix)).toBe(true);
    expect(created.headers.get('location')).toBe(`${kp.publicUrl}${t.path}/${id}`);
    expect(created.body).toMatchObject({
      api_version: t.apiVersion,
      kind: 'Cluster',
      metadata: {
        self: `${kp.publicUrl}${t.path}/${id}`,
        resource_name: expect.stringMatching(new RegExp(`^crn://confluent.cloud/organization=.+/environment=${env}/.+=${id}$`)),
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
      spec: {
        display_name: 'first',
        cloud: expect.stringMatching(/^(AWS|GCP)$/),
        region: expect.any(String),
        environment: { id: env, related: `${kp.publicUrl}/org/v2/environments/${env}`, resource_name: expect.any(String) },
      },
      status: { phase: 'PROVISIONED' },
    });
    expect(JSON.stringify(created.body)).toMatch(/https:\/\/[a-z0-9.-]+\.keyplane\.local/);

    const read = await kp.call('GET', `${t.path}/${id.toUpperCase()}?environment=${env}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const list = await kp.call('GET', `${t.path}?environment=${env}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ api_version: t.apiVersion, kind: 'ClusterList', metadata: { first: expect.any(String) } });
    expect(list.body.data.map((r: { id: string }) => r.id)).toContain(id);
    const elsewhere = await kp.call('GET', `${t.path}?environment=${otherEnv}`);
    expect(elsewhere.body.data.map((r: { id: string }) => r.id)).not.toContain(id);

    const patched = await kp.call('PATCH', `${t.path}/${id}`, {
      body: { spec: { display_name: 'renamed', ...t.change, environment: { id: env } } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.spec).toMatchObject({ display_name: 'renamed', ...t.changed });
    expect((await kp.call('GET', `${t.path}/${id}`)).body.spec).toMatchObject({ display_name: 'renamed', ...t.changed });

    expect((await kp.call('DELETE', `${t.path}/${id}?environment=${env}`)).status).toBe(204);
    const gone = await kp.call('GET', `${t.path}/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.errors[0].code).toBe(t.notFound);
  });

  it('requires the environment filter on a list, naming an environment that exists', async () => {
    for (const query of ['', '?environment=', '?environment=env-nope00']) {
      const res = await kp.call('GET', `${t.path}${query}`);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', source: { parameter: 'environment' } });
    }
  });

  it('refuses bad input and changes nothing', async () => {
    const before = await count();
    const unknownEnv = await kp.call('POST', t.path, { body: t.body('x', 'env-nope00') });
    expect(unknownEnv.status).toBe(422);
    expect(unknownEnv.body.errors[0]).toMatchObject({ code: 'invalid_configuration', source: { pointer: '/spec/environment/id' } });

    const wrongType = await kp.call('POST', t.path, { body: { spec: { ...t.body('x', env).spec, display_name: 5 } } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors[0]).toMatchObject({ code: 'bad_request', source: { pointer: '/spec/display_name' } });

    const noEnv = await kp.call('POST', t.path, { body: { spec: { ...t.body('x', env).spec, environment: null } } });
    expect(noEnv.status).toBe(400);
    expect(noEnv.body.errors[0].source.pointer).toBe('/spec/environment');

    const malformed = await kp.call('POST', t.path, { raw: '{"spec": {', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].code).toBe('invalid_json');

    const badCloud = await kp.call('POST', t.path, { body: { spec: { ...t.body('x', env).spec, cloud: 'mars', region: 'us-east-1' } } });
    expect(badCloud.status).toBe(422);
    expect(badCloud.body.errors[0].source.pointer).toBe('/spec/cloud');

    expect(await count()).toBe(before);
  });

  it('answers 404 for an unknown id or another environment', async () => {
    const unknown = await kp.call('GET', `${t.path}/${t.prefix}zzzzzz`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0].code).toBe(t.notFound);
    expect((await kp.call('PATCH', `${t.path}/${t.prefix}zzzzzz`, { body: { spec: { display_name: 'x' } } })).status).toBe(404);
    expect((await kp.call('DELETE', `${t.path}/${t.prefix}zzzzzz`)).status).toBe(404);
    const otherType = await kp.call('GET', `${t.path}/${hostKafka}`);
    if (t.prefix !== 'lkc-') expect(otherType.status).toBe(404);
    const wrongEnv = await kp.call('GET', `/cmk/v2/clusters/${hostKafka}?environment=${otherEnv}`);
    expect(wrongEnv.status).toBe(404);
  });

  it('needs a Cloud API key', async () => {
    const res = await kp.call('GET', `${t.path}?environment=${env}`, { auth: false });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(res.body.errors[0].code).toBe('user_unauthenticated');
    const post = await kp.call('POST', t.path, { body: t.body('x', env), auth: { key: kp.admin.key, secret: 'wrong' } });
    expect(post.status).toBe(401);
  });
});

describe('Kafka clusters, beyond the common cases', () => {
  it('deletes the API keys scoped to a deleted cluster, and the ksqlDB clusters on it', async () => {
    const cluster = (await kp.call('POST', '/cmk/v2/clusters', { body: kafkaBody('doomed', env) })).body.id as string;
    const ksql = await kp.call('POST', '/ksqldbcm/v2/clusters', {
      body: { spec: { display_name: 'on-doomed', kafka_cluster: { id: cluster }, environment: { id: env } } },
    });
    expect(ksql.body.spec).toMatchObject({ cloud: 'AWS', region: 'us-east-1', csu: 4, kafka_cluster: { id: cluster } });
    const key = await kp.call('POST', '/iam/v2/api-keys', {
      body: { spec: { owner: { id: kp.admin.userId }, resource: { id: cluster } } },
    });
    expect(key.status).toBe(202);
    const ksqlKey = await kp.call('POST', '/iam/v2/api-keys', {
      body: { spec: { owner: { id: kp.admin.userId }, resource: { id: ksql.body.id } } },
    });
    expect(ksqlKey.status).toBe(202);

    expect((await kp.call('DELETE', `/cmk/v2/clusters/${cluster}`)).status).toBe(204);
    expect((await kp.call('GET', `/iam/v2/api-keys/${key.body.id}`)).status).toBe(404);
    expect((await kp.call('GET', `/iam/v2/api-keys/${ksqlKey.body.id}`)).status).toBe(404);
    expect((await kp.call('GET', `/ksqldbcm/v2/clusters/${ksql.body.id}`)).status).toBe(404);
    expect((await kp.call('GET', `/cmk/v2/clusters/${hostKafka}`)).status).toBe(200);
  });

  it('pages a list', async () => {
    await kp.call('POST', '/cmk/v2/clusters', { body: kafkaBody('second', env) });
    const first = await kp.call('GET', `/cmk/v2/clusters?environment=${env}&page_size=1`);
    expect(first.body.data).toHaveLength(1);
    expect(first.body.metadata.total_size).toBeGreaterThanOrEqual(2);
    const next = new URL(first.body.metadata.next);
    const second = await kp.call('GET', `${next.pathname}${next.search}`);
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
  });

  it('keeps cloud, region and environment, and refuses impossible changes', async () => {
    for (const [spec, pointer] of [
      [{ cloud: 'GCP' }, '/spec/cloud'],
      [{ region: 'eu-west-1' }, '/spec/region'],
      [{ environment: { id: otherEnv } }, '/spec/environment/id'],
      [{ config: { kind: 'Dedicated' } }, '/spec/config/kind'],
      [{ availability: 'EVERYWHERE' }, '/spec/availability'],
    ] as const) {
      const res = await kp.call('PATCH', `/cmk/v2/clusters/${hostKafka}`, { body: { spec } });
      expect(res.status, pointer).toBe(422);
      expect(res.body.errors[0].source.pointer).toBe(pointer);
    }
    const same = await kp.call('PATCH', `/cmk/v2/clusters/${hostKafka}`, { body: { spec: { cloud: 'aws', region: 'US-EAST-1' } } });
    expect(same.status).toBe(200);
    expect((await kp.call('PATCH', `/cmk/v2/clusters/${hostKafka}`, { body: { spec: null } })).status).toBe(200);
    const empty = await kp.call('PATCH', `/cmk/v2/clusters/${hostKafka}`, { body: { spec: { display_name: ' ' } } });
    expect(empty.body.errors[0].source.pointer).toBe('/spec/display_name');
    expect((await kp.call('PATCH', `/cmk/v2/clusters/${hostKafka}?environment=${otherEnv}`, { body: {} })).status).toBe(404);
  });

  it('shows a Dedicated cluster with its CKUs', async () => {
    const body = kafkaBody('dedicated', env);
    const res = await kp.call('POST', '/cmk/v2/clusters', {
      body: { spec: { ...body.spec, availability: 'MULTI_ZONE', config: { kind: 'dedicated', cku: 2 } } },
    });
    expect(res.status).toBe(202);
    expect(res.body.spec.config).toEqual({ kind: 'Dedicated', cku: 2 });
    expect(res.body.spec.kafka_bootstrap_endpoint).toMatch(/^SASL_SSL:\/\/lkc-[a-z0-9]+\..*keyplane\.local:9092$/);
    const grown = await kp.call('PATCH', `/cmk/v2/clusters/${res.body.id}`, { body: { spec: { config: { kind: 'Dedicated', cku: 3 } } } });
    expect(grown.body.status.cku).toBe(3);
  });
});

describe('Schema Registry and ksqlDB, beyond the common cases', () => {
  it('allows one Schema Registry per environment', async () => {
    const body = cases[1]!.body;
    const first = await kp.call('POST', '/srcm/v3/clusters', { body: body('sr', otherEnv) });
    expect(first.status).toBe(201);
    const before = await count();
    const second = await kp.call('POST', '/srcm/v3/clusters', { body: body('sr2', otherEnv) });
    expect(second.status).toBe(409);
    expect(second.body.errors[0].code).toBe('resource_already_exists');
    expect(second.headers.get('location')).toContain(first.body.id);
    expect(await count()).toBe(before);
  });

  it('refuses a ksqlDB cluster on a Kafka cluster of another environment or that does not exist', async () => {
    const before = await count();
    for (const [kafka, environment] of [
      [hostKafka, otherEnv],
      ['lkc-nope00', env],
      ['lsrc-abcde', env],
    ]) {
      const res = await kp.call('POST', '/ksqldbcm/v2/clusters', {
        body: { spec: { display_name: 'k', kafka_cluster: { id: kafka }, environment: { id: environment } } },
      });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].source.pointer).toBe('/spec/kafka_cluster/id');
    }
    const badCsu = await kp.call('POST', '/ksqldbcm/v2/clusters', {
      body: { spec: { display_name: 'k', csu: 3, kafka_cluster: { id: hostKafka }, environment: { id: env } } },
    });
    expect(badCsu.body.errors[0].source.pointer).toBe('/spec/csu');
    expect(await count()).toBe(before);
    const ksql = await kp.call('POST', '/ksqldbcm/v2/clusters', { body: cases[2]!.body('k', env) });
    const resize = await kp.call('PATCH', `/ksqldbcm/v2/clusters/${ksql.body.id}`, { body: { spec: { csu: 8 } } });
    expect(resize.status).toBe(422);
    expect(resize.body.errors[0].source.pointer).toBe('/spec/csu');
  });
});
