import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type Reply, startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { addPrincipal, type Binding, crns, grant, type TestPrincipal } from '../../../test/support/principals.js';
import { type Caller, callerFor, can } from '../../services/access.js';
import type { ServiceContext } from '../../services/context.js';
import type { ApiKey } from '../../storage/schema.js';

/**
 * Who may use the API-key, service-account, user and invitation endpoints. Every principal here
 * is made with `addPrincipal` (written to the store with one Cloud key); the objects they act
 * on are made by the OrganizationAdmin through the API.
 */

const REGION = 'aws.us-east-1';

type Auth = { key: string; secret: string };

function expectStatus(res: Reply, ...statuses: number[]) {
  expect(statuses, `${res.status} ${res.text}`).toContain(res.status);
  return res.body;
}

/** Environments, Kafka clusters, a Schema Registry and a ksqlDB app, made by the admin. */
interface World {
  envA: string;
  envB: string;
  lkcA1: string;
  lkcA2: string;
  lkcB: string;
  srA: string;
  ksqlA: string;
}

async function buildWorld(kp: TestKeyplane): Promise<World> {
  const env = async (name: string) =>
    expectStatus(await kp.call('POST', '/org/v2/environments', { body: { display_name: name } }), 201).id as string;
  const spec = (environment: string, extra: object) => ({
    spec: { display_name: 'c', cloud: 'AWS', region: 'us-east-1', environment: { id: environment }, ...extra },
  });
  const kafka = async (environment: string) =>
    expectStatus(
      await kp.call('POST', '/cmk/v2/clusters', { body: spec(environment, { availability: 'SINGLE_ZONE', config: { kind: 'Basic' } }) }),
      201,
      202,
    ).id as string;
  const envA = await env('env-a');
  const envB = await env('env-b');
  const lkcA1 = await kafka(envA);
  const lkcA2 = await kafka(envA);
  const lkcB = await kafka(envB);
  const srA = expectStatus(await kp.call('POST', '/srcm/v3/clusters', { body: spec(envA, { package: 'ESSENTIALS' }) }), 200, 201, 202)
    .id as string;
  const ksqlA = expectStatus(
    await kp.call('POST', '/ksqldbcm/v2/clusters', { body: spec(envA, { csu: 1, kafka_cluster: { id: lkcA1 } }) }),
    201,
    202,
  ).id as string;
  return { envA, envB, lkcA1, lkcA2, lkcB, srA, ksqlA };
}

interface KeyResource {
  id: string;
  environment?: string;
}

function keyBody(ownerId: string, resource?: KeyResource, displayName?: string) {
  return { spec: { owner: { id: ownerId }, ...(resource ? { resource } : {}), ...(displayName ? { display_name: displayName } : {}) } };
}

/** Every key id a principal finds in GET /iam/v2/api-keys, following metadata.next across small pages. */
async function listedKeys(kp: TestKeyplane, auth: Auth, query = ''): Promise<string[]> {
  const ids: string[] = [];
  let url: string | undefined = `/iam/v2/api-keys?page_size=7${query}`;
  while (url) {
    const page: any = expectStatus(await kp.call('GET', url, { auth }), 200);
    ids.push(...page.data.map((k: { id: string }) => k.id));
    url = page.metadata.next ? page.metadata.next.slice(kp.publicUrl.length) : undefined;
  }
  return ids;
}

/**
 * The brief's API-key rule stated directly with `can`, key by key: an independent check of the
 * service's rule, which derives list filters from blanket grants and named objects.
 */
function mayManage(ctx: ServiceContext, caller: Caller, key: ApiKey): boolean {
  const allowed = (operation: string, crn: string) => can(ctx, caller, operation, crn).allowed;
  const env = key.resourceEnvironmentId!;
  const resource = {
    Cluster: { describe: 'KafkaCluster:Describe', crn: () => ctx.crn.kafkaCluster(env, key.resourceId), manage: undefined },
    SchemaRegistry: { describe: 'SchemaRegistry:Describe', crn: () => ctx.crn.schemaRegistry(env, key.resourceId), manage: undefined },
    ksqlDB: { describe: 'KsqlCluster:Describe', crn: () => ctx.crn.ksqldbCluster(env, key.resourceId), manage: undefined },
    Region: { describe: 'FlinkRegion:Describe', crn: () => ctx.crn.flinkRegion(env, key.resourceId), manage: undefined },
    Tableflow: { describe: 'Organization:Describe', crn: () => ctx.crn.organization(), manage: () => ctx.crn.tableflow() },
    Cloud: undefined,
    Global: undefined,
  }[key.scopeKind];
  const ownerCrn = key.ownerKind === 'User' ? ctx.crn.user(key.ownerId) : ctx.crn.serviceAccount(key.ownerId);
  const forOwner =
    key.ownerId === caller.actor.principalId ||
    allowed('ApiKey:Manage', ownerCrn) ||
    (['Cluster', 'SchemaRegistry', 'ksqlDB', 'Tableflow'].includes(key.scopeKind) && allowed('ApiKey:ManageResourceKeys', ownerCrn));
  const access = !resource || allowed(resource.describe, resource.crn());
  const throughResource = resource !== undefined && allowed('ApiKey:Manage', (resource.manage ?? resource.crn)());
  return (forOwner && access) || throughResource;
}

function topic(kp: TestKeyplane, env: string, lkc: string, name: string): string {
  return `${crns(kp).kafkaCluster(env, lkc)}/kafka=${lkc}/topic=${name}`;
}

describe('which API keys each role may manage: the list and the single key agree', () => {
  let kp: TestKeyplane;
  let w: World;
  const who: Record<string, { id: string; auth: Auth }> = {};
  /** Label → key id. */
  const keys: Record<string, string> = {};
  /** Principal name → the labels of the keys it may manage (its own Cloud key, `own`, is added to each). */
  let expected: Record<string, string[]>;

  beforeAll(async () => {
    kp = await startTestKeyplane();
    w = await buildWorld(kp);
    const c = crns(kp);
    const add = async (name: string, kind: 'user' | 'service-account', bindings: (p: { id: string }) => Binding[] = () => []) => {
      const p: TestPrincipal = await addPrincipal(kp, kind);
      await grant(kp, p.principal, bindings(p));
      who[name] = { id: p.id, auth: p.auth };
      keys[`own:${name}`] = p.key;
    };
    who.orgAdmin = { id: kp.admin.userId, auth: kp.admin };
    keys['own:orgAdmin'] = kp.admin.key;
    await add('saA', 'service-account', () => [{ role: 'DeveloperWrite', crn: `${c.kafkaCluster(w.envA, w.lkcA1)}/kafka=${w.lkcA1}` }]);
    await add('saB', 'service-account');
    await add('accountAdmin', 'user', () => [{ role: 'AccountAdmin', crn: c.organization() }]);
    await add('envAdminA', 'user', () => [{ role: 'EnvironmentAdmin', crn: c.environment(w.envA) }]);
    await add('clusterAdminA1', 'user', () => [{ role: 'CloudClusterAdmin', crn: c.kafkaCluster(w.envA, w.lkcA1) }]);
    await add('ownerOfSaA', 'user', () => [{ role: 'ResourceOwner', crn: c.serviceAccount(who.saA!.id) }]);
    await add('resourceKeyAdmin', 'user', () => [{ role: 'ResourceKeyAdmin', crn: c.organization() }]);
    await add('resourceKeyAdminOfSaA', 'user', () => [
      { role: 'ResourceKeyAdmin', crn: c.serviceAccount(who.saA!.id) },
      { role: 'DeveloperRead', crn: topic(kp, w.envA, w.lkcA1, 'orders') },
    ]);
    await add('flinkAdminA', 'user', () => [{ role: 'FlinkAdmin', crn: c.environment(w.envA) }]);
    await add('readerA1', 'user', () => [{ role: 'DeveloperRead', crn: topic(kp, w.envA, w.lkcA1, 'orders') }]);
    await add('operatorB', 'user', () => [{ role: 'Operator', crn: c.environment(w.envB) }]);
    await add('nobody', 'user');

    const make = async (label: string, owner: string, resource?: KeyResource) => {
      keys[label] = expectStatus(await kp.call('POST', '/iam/v2/api-keys', { body: keyBody(who[owner]!.id, resource, label) }), 202).id;
    };
    await make('saA-cloud', 'saA');
    await make('saA-global', 'saA', { id: 'global' });
    await make('saA-lkcA1', 'saA', { id: w.lkcA1 });
    await make('saA-lkcA2', 'saA', { id: w.lkcA2 });
    await make('saA-lkcB', 'saA', { id: w.lkcB });
    await make('saA-srA', 'saA', { id: w.srA });
    await make('saA-ksqlA', 'saA', { id: w.ksqlA });
    await make('saA-flinkA', 'saA', { id: REGION, environment: w.envA });
    await make('saA-tableflow', 'saA', { id: 'tableflow' });
    await make('saB-cloud', 'saB');
    await make('saB-lkcA1', 'saB', { id: w.lkcA1 });
    await make('saB-lkcB', 'saB', { id: w.lkcB });
    await make('saB-srA', 'saB', { id: w.srA });
    await make('saB-flinkA', 'saB', { id: REGION, environment: w.envA });
    await make('saB-flinkB', 'saB', { id: REGION, environment: w.envB });
    await make('nobody-lkcA1', 'nobody', { id: w.lkcA1 });
    await make('readerA1-lkcA1', 'readerA1', { id: w.lkcA1 });
    await make('readerA1-lkcA2', 'readerA1', { id: w.lkcA2 });
    await make('operatorB-lkcB', 'operatorB', { id: w.lkcB });
    await make('orgAdmin-lkcA2', 'orgAdmin', { id: w.lkcA2 });
    await make('orgAdmin-tableflow', 'orgAdmin', { id: 'tableflow' });

    const ownCloud = Object.keys(keys).filter((l) => l.startsWith('own:'));
    const inEnvA = [
      'saA-lkcA1',
      'saA-lkcA2',
      'saA-srA',
      'saA-ksqlA',
      'saA-flinkA',
      'saB-lkcA1',
      'saB-srA',
      'saB-flinkA',
      'nobody-lkcA1',
      'readerA1-lkcA1',
      'readerA1-lkcA2',
      'orgAdmin-lkcA2',
    ];
    expected = {
      orgAdmin: Object.keys(keys),
      // ApiKey:Manage on every account, but access to no cluster: Cloud, Global and Tableflow keys.
      accountAdmin: [...ownCloud, 'saA-cloud', 'saA-global', 'saA-tableflow', 'saB-cloud', 'orgAdmin-tableflow'],
      // Everything in env A, whoever owns it.
      envAdminA: [...inEnvA],
      clusterAdminA1: ['saA-lkcA1', 'saB-lkcA1', 'nobody-lkcA1', 'readerA1-lkcA1'],
      // saA's keys on resources it can access: none of the clusters; Tableflow, as a member of the org.
      ownerOfSaA: ['own:saA', 'saA-cloud', 'saA-global', 'saA-tableflow'],
      // Kafka, Schema Registry, ksqlDB and Tableflow keys of every service account; not users' keys,
      // not Flink, Cloud or Global.
      resourceKeyAdmin: ['saA-lkcA1', 'saA-lkcA2', 'saA-lkcB', 'saA-srA', 'saA-ksqlA', 'saB-lkcA1', 'saB-lkcB', 'saB-srA', 'saA-tableflow'],
      // saA's resource keys on what it can reach: the cluster of its topic, and Tableflow.
      resourceKeyAdminOfSaA: ['saA-lkcA1', 'saA-tableflow'],
      flinkAdminA: ['saA-flinkA', 'saB-flinkA'],
      // Its own keys, but only on resources it can access: lkcA1 (a topic in it), not lkcA2.
      readerA1: ['readerA1-lkcA1'],
      operatorB: ['operatorB-lkcB'],
      nobody: [],
      // A service account's own keys: Cloud, Global, Tableflow, and the cluster it can write to.
      saA: ['saA-cloud', 'saA-global', 'saA-lkcA1', 'saA-tableflow'],
      saB: ['saB-cloud'],
    };
  });
  afterAll(() => kp.close());

  it('lists exactly the keys GET /iam/v2/api-keys/{id} answers 200 for, for every principal and key', async () => {
    const ctx = kp.keyplane.services;
    const rows = (await ctx.store.list('apiKeys', {}, { limit: 1000 })).items;
    const all = rows.map((k) => k.id);
    expect(all.length).toBeGreaterThanOrEqual(30);
    const label = Object.fromEntries(Object.entries(keys).map(([l, id]) => [id, l]));
    for (const [name, p] of Object.entries(who)) {
      const caller = await callerFor(ctx, { via: 'key', principalId: p.id, principalKind: p.id.startsWith('sa-') ? 'ServiceAccount' : 'User', keyId: p.auth.key });
      const byRule = new Set(rows.filter((k) => mayManage(ctx, caller, k)).map((k) => k.id));
      const listed = new Set(await listedKeys(kp, p.auth));
      const readable = new Set<string>();
      for (const id of all) {
        const res = await kp.call('GET', `/iam/v2/api-keys/${id}`, { auth: p.auth });
        expect([200, 404], `${name} GET ${label[id] ?? id}: ${res.text}`).toContain(res.status);
        if (res.status === 200) readable.add(id);
        else expect(res.body.errors[0]).toMatchObject({ code: 'api_key_not_found', detail: `API key '${id}' was not found` });
      }
      const names = (ids: Set<string>) => [...ids].map((id) => label[id] ?? id).sort();
      expect(names(listed), `${name}: listed ⇔ readable`).toEqual(names(readable));
      expect(names(readable), `${name}: readable ⇔ the rule stated with can()`).toEqual(names(byRule));
      const want = new Set([...expected[name]!, `own:${name}`]);
      expect(names(readable), `${name}: the keys it may manage`).toEqual([...want].sort());
    }
  });

  it('agrees when the list is filtered by owner or resource', async () => {
    for (const [name, p] of Object.entries(who)) {
      const mine = new Set(await listedKeys(kp, p.auth));
      for (const [query, keep] of [
        [`&spec.owner=${who.saA!.id}`, (l: string) => l.startsWith('saA-') || l === 'own:saA'],
        [`&spec.resource=${w.lkcA1}`, (l: string) => l.endsWith('-lkcA1')],
      ] as const) {
        const filtered = await listedKeys(kp, p.auth, query);
        const wantIds = Object.entries(keys)
          .filter(([l, id]) => keep(l) && mine.has(id))
          .map(([, id]) => id);
        expect(filtered.sort(), `${name} ${query}`).toEqual(wantIds.sort());
      }
    }
  });

  it('answers 404, not 403, when a principal patches or deletes a key it may not manage, and changes nothing', async () => {
    const target = keys['saA-lkcA2']!;
    for (const name of ['nobody', 'clusterAdminA1', 'ownerOfSaA', 'accountAdmin', 'operatorB', 'readerA1']) {
      const auth = who[name]!.auth;
      const patch = await kp.call('PATCH', `/iam/v2/api-keys/${target}`, { auth, body: { spec: { description: 'mine now' } } });
      expect(patch.status, name).toBe(404);
      expect(patch.body.errors[0].code).toBe('api_key_not_found');
      const del = await kp.call('DELETE', `/iam/v2/api-keys/${target}`, { auth });
      expect(del.status, name).toBe(404);
      expect(del.body.errors[0].code).toBe('api_key_not_found');
    }
    const after = expectStatus(await kp.call('GET', `/iam/v2/api-keys/${target}`), 200);
    expect(after.spec.description).toBe('');
  });
});

describe('API keys, endpoint by endpoint', () => {
  let kp: TestKeyplane;
  let w: World;
  let c: ReturnType<typeof crns>;
  let saA: TestPrincipal;
  let saB: TestPrincipal;

  const create = (auth: Auth, owner: string, resource?: KeyResource) =>
    kp.call('POST', '/iam/v2/api-keys', { auth, body: keyBody(owner, resource) });
  const adminKey = async (owner: string, resource?: KeyResource) =>
    expectStatus(await create(kp.admin, owner, resource), 202).id as string;
  const user = (bindings: Binding[] = []) => addPrincipal(kp, 'user', bindings);

  function expectRefused(res: Reply, operationOn: string, because: string) {
    expect(res.status, res.text).toBe(403);
    expect(res.body.errors[0].code).toBe('user_unauthorized');
    expect(res.body.errors[0].detail).toContain(`is not allowed to perform ApiKey:Create on ${operationOn}`);
    expect(res.body.errors[0].detail).toContain(because);
  }

  beforeAll(async () => {
    kp = await startTestKeyplane();
    w = await buildWorld(kp);
    c = crns(kp);
    saA = await addPrincipal(kp, 'service-account');
    saB = await addPrincipal(kp, 'service-account');
  });
  afterAll(() => kp.close());

  describe('self-service by a user with no bindings', () => {
    it('creates, lists, patches and deletes its own Cloud and Global keys, and sees nobody else’s', async () => {
      const me = await user();
      const cloud = expectStatus(await create(me.auth, me.id), 202);
      expect(cloud.spec.owner.id).toBe(me.id);
      const global = expectStatus(await create(me.auth, me.id, { id: 'global' }), 202);
      await adminKey(saA.id);
      const listed = await listedKeys(kp, me.auth);
      expect(listed.sort()).toEqual([me.key, cloud.id, global.id].sort());
      expect(await listedKeys(kp, me.auth, `&spec.owner=${saA.id}`)).toEqual([]);
      const patched = await kp.call('PATCH', `/iam/v2/api-keys/${cloud.id}`, { auth: me.auth, body: { spec: { display_name: 'laptop' } } });
      expect(expectStatus(patched, 200).spec.display_name).toBe('laptop');
      expectStatus(await kp.call('DELETE', `/iam/v2/api-keys/${cloud.id}`, { auth: me.auth }), 204);
      expectStatus(await kp.call('GET', `/iam/v2/api-keys/${cloud.id}`, { auth: me.auth }), 404);
    });

    it('cannot create a key for a Kafka cluster it has no access to, and can once it reads a topic there', async () => {
      const me = await user();
      expectRefused(await create(me.auth, me.id, { id: w.lkcA1 }), c.kafkaCluster(w.envA, w.lkcA1), 'KafkaCluster:Describe');
      await grant(kp, me.principal, [{ role: 'DeveloperRead', crn: topic(kp, w.envA, w.lkcA1, 'orders') }]);
      const key = expectStatus(await create(me.auth, me.id, { id: w.lkcA1 }), 202);
      expect(key.spec.resource).toMatchObject({ id: w.lkcA1, environment: w.envA });
      expectRefused(await create(me.auth, me.id, { id: w.lkcA2 }), c.kafkaCluster(w.envA, w.lkcA2), 'KafkaCluster:Describe');
      expectStatus(await kp.call('GET', `/iam/v2/api-keys/${key.id}`, { auth: me.auth }), 200);
    });

    it('cannot read, patch or delete another user’s keys: 404', async () => {
      const me = await user();
      const other = await user();
      const theirs = expectStatus(await create(other.auth, other.id), 202).id;
      for (const [method, body] of [['GET'], ['PATCH', { spec: { description: 'x' } }], ['DELETE']] as const) {
        const res = await kp.call(method, `/iam/v2/api-keys/${theirs}`, { auth: me.auth, body });
        expect(res.status, method).toBe(404);
        expect(res.body.errors[0]).toMatchObject({ code: 'api_key_not_found', detail: `API key '${theirs}' was not found` });
      }
      expect(await listedKeys(kp, me.auth, `&spec.owner=${other.id}`)).toEqual([]);
      expectStatus(await kp.call('GET', `/iam/v2/api-keys/${theirs}`, { auth: other.auth }), 200);
    });

    it('cannot create a key for someone else: 403 naming the owner, whether or not the owner exists', async () => {
      const me = await user();
      expectRefused(await create(me.auth, saB.id), c.serviceAccount(saB.id), 'a key of another principal needs ApiKey:Manage on that owner');
      expectRefused(await create(me.auth, kp.admin.userId), c.user(kp.admin.userId), 'ApiKey:Manage');
      expectRefused(await create(me.auth, 'sa-nobody'), c.serviceAccount('sa-nobody'), 'ApiKey:Manage');
      const admin = await create(kp.admin, 'sa-nobody');
      expect(admin.status).toBe(422);
      expect(admin.body.errors[0].source.pointer).toBe('/spec/owner/id');
    });
  });

  describe('a service account calling with its own Cloud key', () => {
    it('manages its own keys and no other account’s', async () => {
      const sa = await addPrincipal(kp, 'service-account');
      const own = expectStatus(await create(sa.auth, sa.id), 202);
      expect((await listedKeys(kp, sa.auth)).sort()).toEqual([sa.key, own.id].sort());
      expectStatus(await kp.call('PATCH', `/iam/v2/api-keys/${own.id}`, { auth: sa.auth, body: { spec: { description: 'ci' } } }), 200);
      expectRefused(await create(sa.auth, saB.id), c.serviceAccount(saB.id), 'ApiKey:Manage');
      const other = await adminKey(saB.id);
      expectStatus(await kp.call('DELETE', `/iam/v2/api-keys/${other}`, { auth: sa.auth }), 404);
      expectStatus(await kp.call('DELETE', `/iam/v2/api-keys/${own.id}`, { auth: sa.auth }), 204);
    });
  });

  describe('ResourceOwner of a service account', () => {
    it('manages that account’s Cloud keys, not a sibling account’s', async () => {
      const owner = await user([{ role: 'ResourceOwner', crn: c.serviceAccount(saA.id) }]);
      const made = expectStatus(await create(owner.auth, saA.id), 202).id;
      expectStatus(await kp.call('PATCH', `/iam/v2/api-keys/${made}`, { auth: owner.auth, body: { spec: { description: 'x' } } }), 200);
      expectRefused(await create(owner.auth, saB.id), c.serviceAccount(saB.id), 'ApiKey:Manage');
      const siblings = await adminKey(saB.id);
      for (const [method, body] of [['GET'], ['PATCH', { spec: { description: 'x' } }], ['DELETE']] as const) {
        expect((await kp.call(method, `/iam/v2/api-keys/${siblings}`, { auth: owner.auth, body })).status, method).toBe(404);
      }
      expectStatus(await kp.call('DELETE', `/iam/v2/api-keys/${made}`, { auth: owner.auth }), 204);
    });

    it('needs access to the cluster for that account’s Kafka keys', async () => {
      const owner = await user([{ role: 'ResourceOwner', crn: c.serviceAccount(saA.id) }]);
      expectRefused(await create(owner.auth, saA.id, { id: w.lkcA1 }), c.kafkaCluster(w.envA, w.lkcA1), 'KafkaCluster:Describe');
      const existing = await adminKey(saA.id, { id: w.lkcA1 });
      expectStatus(await kp.call('GET', `/iam/v2/api-keys/${existing}`, { auth: owner.auth }), 404);
      await grant(kp, owner.principal, [{ role: 'Operator', crn: c.kafkaCluster(w.envA, w.lkcA1) }]);
      expectStatus(await create(owner.auth, saA.id, { id: w.lkcA1 }), 202);
      expectStatus(await kp.call('GET', `/iam/v2/api-keys/${existing}`, { auth: owner.auth }), 200);
    });
  });

  describe('AccountAdmin', () => {
    it('manages every account’s Cloud keys', async () => {
      const admin = await user([{ role: 'AccountAdmin', crn: c.organization() }]);
      const made = expectStatus(await create(admin.auth, saB.id), 202).id;
      expectStatus(await kp.call('GET', `/iam/v2/api-keys/${made}`, { auth: admin.auth }), 200);
      const usersKey = await adminKey(kp.admin.userId);
      expectStatus(await kp.call('DELETE', `/iam/v2/api-keys/${usersKey}`, { auth: admin.auth }), 204);
    });

    it('cannot create a Kafka key for an account without access to the cluster, and can as its CloudClusterAdmin', async () => {
      const admin = await user([{ role: 'AccountAdmin', crn: c.organization() }]);
      expectRefused(await create(admin.auth, saA.id, { id: w.lkcB }), c.kafkaCluster(w.envB, w.lkcB), 'KafkaCluster:Describe');
      await grant(kp, admin.principal, [{ role: 'CloudClusterAdmin', crn: c.kafkaCluster(w.envB, w.lkcB) }]);
      const key = expectStatus(await create(admin.auth, saA.id, { id: w.lkcB }), 202);
      expect(key.spec.owner.id).toBe(saA.id);
    });
  });

  describe('EnvironmentAdmin', () => {
    it('manages every key on the resources of its environment, whoever owns them', async () => {
      // Flink keys run statements as their owner: issuing one for saB also takes Assigner on it.
      const envAdmin = await user([
        { role: 'EnvironmentAdmin', crn: c.environment(w.envA) },
        { role: 'Assigner', crn: c.serviceAccount(saB.id) },
      ]);
      for (const resource of [{ id: w.lkcA1 }, { id: w.srA }, { id: w.ksqlA }, { id: REGION, environment: w.envA }]) {
        const key = expectStatus(await create(envAdmin.auth, saB.id, resource), 202);
        expectStatus(await kp.call('PATCH', `/iam/v2/api-keys/${key.id}`, { auth: envAdmin.auth, body: { spec: { description: 'ok' } } }), 200);
      }
      const adminsOwn = await adminKey(kp.admin.userId, { id: w.lkcA2 });
      expectStatus(await kp.call('DELETE', `/iam/v2/api-keys/${adminsOwn}`, { auth: envAdmin.auth }), 204);
    });

    it('of environment B cannot manage keys of environment A’s cluster, nor create keys there', async () => {
      const envAdminB = await user([{ role: 'EnvironmentAdmin', crn: c.environment(w.envB) }]);
      const inA = await adminKey(saA.id, { id: w.lkcA1 });
      for (const [method, body] of [['GET'], ['PATCH', { spec: { description: 'x' } }], ['DELETE']] as const) {
        expect((await kp.call(method, `/iam/v2/api-keys/${inA}`, { auth: envAdminB.auth, body })).status, method).toBe(404);
      }
      expect(await listedKeys(kp, envAdminB.auth, `&spec.resource=${w.lkcA1}`)).toEqual([]);
      expectRefused(await create(envAdminB.auth, saA.id, { id: w.lkcA1 }), c.serviceAccount(saA.id), 'ApiKey:ManageResourceKeys on that owner, or ApiKey:Manage on the resource');
      expectStatus(await create(envAdminB.auth, saA.id, { id: w.lkcB }), 202);
      expectRefused(await create(envAdminB.auth, saA.id), c.serviceAccount(saA.id), 'ApiKey:Manage');
    });
  });

  describe('CloudClusterAdmin', () => {
    it('of lkc-1 creates keys on lkc-1 for any account, not on lkc-2', async () => {
      const clusterAdmin = await user([{ role: 'CloudClusterAdmin', crn: c.kafkaCluster(w.envA, w.lkcA1) }]);
      const key = expectStatus(await create(clusterAdmin.auth, saB.id, { id: w.lkcA1 }), 202).id;
      expectStatus(await kp.call('DELETE', `/iam/v2/api-keys/${key}`, { auth: clusterAdmin.auth }), 204);
      expectRefused(await create(clusterAdmin.auth, saB.id, { id: w.lkcA2 }), c.serviceAccount(saB.id), 'ApiKey:Manage');
      expectRefused(await create(clusterAdmin.auth, clusterAdmin.id, { id: w.lkcA2 }), c.kafkaCluster(w.envA, w.lkcA2), 'KafkaCluster:Describe');
      const onA2 = await adminKey(saB.id, { id: w.lkcA2 });
      expectStatus(await kp.call('DELETE', `/iam/v2/api-keys/${onA2}`, { auth: clusterAdmin.auth }), 404);
    });
  });

  describe('FlinkAdmin', () => {
    it('manages Flink keys in its environment only, and no Kafka keys there', async () => {
      const flink = await user([
        { role: 'FlinkAdmin', crn: c.environment(w.envA) },
        { role: 'Assigner', crn: c.serviceAccount(saB.id) },
      ]);
      expectStatus(await create(flink.auth, saB.id, { id: REGION, environment: w.envA }), 202);
      expectRefused(await create(flink.auth, saB.id, { id: REGION, environment: w.envB }), c.serviceAccount(saB.id), 'ApiKey:Manage');
      expectRefused(await create(flink.auth, saB.id, { id: w.lkcA1 }), c.serviceAccount(saB.id), 'ApiKey:Manage');
    });
  });

  describe('ResourceKeyAdmin', () => {
    it('of an account manages its resource keys where it has access, never its Cloud keys', async () => {
      const rka = await user([
        { role: 'ResourceKeyAdmin', crn: c.serviceAccount(saA.id) },
        { role: 'DeveloperRead', crn: topic(kp, w.envA, w.lkcA1, 'orders') },
      ]);
      expectStatus(await create(rka.auth, saA.id, { id: w.lkcA1 }), 202);
      expectStatus(await create(rka.auth, saA.id, { id: 'tableflow' }), 202);
      expectRefused(await create(rka.auth, saA.id), c.serviceAccount(saA.id), 'ApiKey:Manage');
      expectRefused(await create(rka.auth, saA.id, { id: w.lkcA2 }), c.kafkaCluster(w.envA, w.lkcA2), 'KafkaCluster:Describe');
      expectRefused(await create(rka.auth, saB.id, { id: w.lkcA1 }), c.serviceAccount(saB.id), 'ApiKey:Manage');
      const cloud = await adminKey(saA.id);
      expectStatus(await kp.call('GET', `/iam/v2/api-keys/${cloud}`, { auth: rka.auth }), 404);
    });
  });
});

describe('service accounts, users and invitations', () => {
  let kp: TestKeyplane;
  let c: ReturnType<typeof crns>;

  beforeAll(async () => {
    kp = await startTestKeyplane();
    c = crns(kp);
  });
  afterAll(() => kp.close());

  function expectForbidden(res: Reply, operation: string) {
    expect(res.status, res.text).toBe(403);
    expect(res.body.errors[0].code).toBe('user_unauthorized');
    expect(res.body.errors[0].detail).toContain(`is not allowed to perform ${operation}`);
  }

  const newAccount = async (name: string) =>
    expectStatus(await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: name } }), 201).id as string;
  const accountIds = async (auth: Auth) =>
    (expectStatus(await kp.call('GET', '/iam/v2/service-accounts?page_size=100', { auth }), 200).data as { id: string }[])
      .map((a) => a.id)
      .sort();

  describe('service accounts', () => {
    it('creating needs ServiceAccount:Create on the organization (AccountAdmin)', async () => {
      const nobody = await addPrincipal(kp, 'user');
      const envAdmin = await addPrincipal(kp, 'user', [{ role: 'EnvironmentAdmin', crn: c.environment('env-some01') }]);
      const accountAdmin = await addPrincipal(kp, 'user', [{ role: 'AccountAdmin', crn: c.organization() }]);
      expectForbidden(await kp.call('POST', '/iam/v2/service-accounts', { auth: nobody.auth, body: { display_name: 'x1' } }), 'ServiceAccount:Create');
      expectForbidden(await kp.call('POST', '/iam/v2/service-accounts', { auth: envAdmin.auth, body: { display_name: 'x2' } }), 'ServiceAccount:Create');
      expectStatus(await kp.call('POST', '/iam/v2/service-accounts', { auth: accountAdmin.auth, body: { display_name: 'x3' } }), 201);
      expect((await kp.call('GET', '/iam/v2/service-accounts?display_name=x1&display_name=x2')).body.data).toEqual([]);
    });

    it('reading needs ServiceAccount:Describe; a ResourceOwner of one account cannot read its sibling', async () => {
      const a = await newAccount('read-a');
      const b = await newAccount('read-b');
      const nobody = await addPrincipal(kp, 'user');
      const owner = await addPrincipal(kp, 'user', [{ role: 'ResourceOwner', crn: c.serviceAccount(a) }]);
      expectForbidden(await kp.call('GET', `/iam/v2/service-accounts/${a}`, { auth: nobody.auth }), 'ServiceAccount:Describe');
      expectStatus(await kp.call('GET', `/iam/v2/service-accounts/${a}`, { auth: owner.auth }), 200);
      expectForbidden(await kp.call('GET', `/iam/v2/service-accounts/${b}`, { auth: owner.auth }), 'ServiceAccount:Describe');
      expectForbidden(await kp.call('GET', '/iam/v2/service-accounts/sa-nope00', { auth: nobody.auth }), 'ServiceAccount:Describe');
      expectStatus(await kp.call('GET', '/iam/v2/service-accounts/sa-nope00'), 404);
      const self = await addPrincipal(kp, 'service-account');
      expectStatus(await kp.call('GET', `/iam/v2/service-accounts/${self.id}`, { auth: self.auth }), 200);
    });

    it('lists what the caller may describe', async () => {
      const a = await newAccount('list-a');
      const b = await newAccount('list-b');
      const nobody = await addPrincipal(kp, 'user');
      const owner = await addPrincipal(kp, 'user', [{ role: 'ResourceOwner', crn: c.serviceAccount(a) }]);
      const assigner = await addPrincipal(kp, 'user', [{ role: 'Assigner', crn: c.serviceAccount(b) }]);
      const self = await addPrincipal(kp, 'service-account');
      const accountAdmin = await addPrincipal(kp, 'user', [{ role: 'AccountAdmin', crn: c.organization() }]);
      expect(await accountIds(nobody.auth)).toEqual([]);
      expect(await accountIds(owner.auth)).toEqual([a]);
      expect(await accountIds(assigner.auth)).toEqual([b]);
      expect(await accountIds(self.auth)).toEqual([self.id]);
      expect(await accountIds(accountAdmin.auth)).toEqual(await accountIds(kp.admin));
      expect((await accountIds(kp.admin)).length).toBeGreaterThanOrEqual(3);
      const filtered = expectStatus(await kp.call('GET', '/iam/v2/service-accounts?display_name=list-b', { auth: owner.auth }), 200);
      expect(filtered.data).toEqual([]);
    });

    it('changing needs ServiceAccount:Alter and deleting ServiceAccount:Delete: a ResourceOwner may do neither', async () => {
      const a = await newAccount('change-a');
      const nobody = await addPrincipal(kp, 'user');
      const owner = await addPrincipal(kp, 'user', [{ role: 'ResourceOwner', crn: c.serviceAccount(a) }]);
      const accountAdmin = await addPrincipal(kp, 'user', [{ role: 'AccountAdmin', crn: c.organization() }]);
      for (const p of [nobody, owner]) {
        expectForbidden(
          await kp.call('PATCH', `/iam/v2/service-accounts/${a}`, { auth: p.auth, body: { description: 'mine' } }),
          'ServiceAccount:Alter',
        );
        expectForbidden(await kp.call('DELETE', `/iam/v2/service-accounts/${a}`, { auth: p.auth }), 'ServiceAccount:Delete');
      }
      const patched = await kp.call('PATCH', `/iam/v2/service-accounts/${a}`, { auth: accountAdmin.auth, body: { description: 'theirs' } });
      expect(expectStatus(patched, 200).description).toBe('theirs');
      expectStatus(await kp.call('DELETE', `/iam/v2/service-accounts/${a}`, { auth: accountAdmin.auth }), 204);
    });
  });

  describe('users', () => {
    const userIds = async (auth: Auth) =>
      (expectStatus(await kp.call('GET', '/iam/v2/users?page_size=100', { auth }), 200).data as { id: string }[]).map((u) => u.id).sort();

    it('lists everyone for a User:Describe everywhere, otherwise only the caller', async () => {
      const me = await addPrincipal(kp, 'user');
      const envAdmin = await addPrincipal(kp, 'user', [{ role: 'EnvironmentAdmin', crn: c.environment('env-some01') }]);
      const accountAdmin = await addPrincipal(kp, 'user', [{ role: 'AccountAdmin', crn: c.organization() }]);
      const sa = await addPrincipal(kp, 'service-account');
      expect(await userIds(me.auth)).toEqual([me.id]);
      expect(await userIds(envAdmin.auth)).toEqual([envAdmin.id]);
      expect(await userIds(sa.auth)).toEqual([]);
      const everyone = await userIds(accountAdmin.auth);
      expect(everyone).toEqual(await userIds(kp.admin));
      expect(everyone).toEqual(expect.arrayContaining([me.id, envAdmin.id, accountAdmin.id, kp.admin.userId]));
    });

    it('reads itself; reading another user needs User:Describe', async () => {
      const me = await addPrincipal(kp, 'user');
      const other = await addPrincipal(kp, 'user');
      const accountAdmin = await addPrincipal(kp, 'user', [{ role: 'AccountAdmin', crn: c.organization() }]);
      expect(expectStatus(await kp.call('GET', `/iam/v2/users/${me.id.toUpperCase()}`, { auth: me.auth }), 200).id).toBe(me.id);
      expectForbidden(await kp.call('GET', `/iam/v2/users/${other.id}`, { auth: me.auth }), 'User:Describe');
      expectForbidden(await kp.call('GET', '/iam/v2/users/u-nope00', { auth: me.auth }), 'User:Describe');
      expectStatus(await kp.call('GET', `/iam/v2/users/${other.id}`, { auth: accountAdmin.auth }), 200);
      expectStatus(await kp.call('GET', '/iam/v2/users/u-nope00', { auth: accountAdmin.auth }), 404);
    });

    it('changing needs User:Alter and deleting User:Delete', async () => {
      const me = await addPrincipal(kp, 'user');
      const envAdmin = await addPrincipal(kp, 'user', [{ role: 'EnvironmentAdmin', crn: c.environment('env-some01') }]);
      const accountAdmin = await addPrincipal(kp, 'user', [{ role: 'AccountAdmin', crn: c.organization() }]);
      const target = await addPrincipal(kp, 'user');
      for (const p of [me, envAdmin]) {
        expectForbidden(await kp.call('PATCH', `/iam/v2/users/${target.id}`, { auth: p.auth, body: { full_name: 'Eve' } }), 'User:Alter');
        expectForbidden(await kp.call('DELETE', `/iam/v2/users/${target.id}`, { auth: p.auth }), 'User:Delete');
      }
      expectForbidden(await kp.call('PATCH', `/iam/v2/users/${me.id}`, { auth: me.auth, body: { full_name: 'Me' } }), 'User:Alter');
      const patched = await kp.call('PATCH', `/iam/v2/users/${target.id}`, { auth: accountAdmin.auth, body: { full_name: 'Ada' } });
      expect(expectStatus(patched, 200).full_name).toBe('Ada');
      expectStatus(await kp.call('DELETE', `/iam/v2/users/${target.id}`, { auth: accountAdmin.auth }), 204);
      expectStatus(await kp.call('GET', `/iam/v2/users/${target.id}`), 404);
    });
  });

  describe('invitations', () => {
    it('every operation needs Invitation:* on the organization (OrganizationAdmin, AccountAdmin)', async () => {
      const nobody = await addPrincipal(kp, 'user');
      const envAdmin = await addPrincipal(kp, 'user', [{ role: 'EnvironmentAdmin', crn: c.environment('env-some01') }]);
      const owner = await addPrincipal(kp, 'user', [{ role: 'ResourceOwner', crn: c.serviceAccount('sa-some01') }]);
      const accountAdmin = await addPrincipal(kp, 'user', [{ role: 'AccountAdmin', crn: c.organization() }]);
      const theirs = expectStatus(await kp.call('POST', '/iam/v2/invitations', { body: { email: 'first@example.com' } }), 201).id;
      for (const p of [nobody, envAdmin, owner]) {
        expectForbidden(
          await kp.call('POST', '/iam/v2/invitations', { auth: p.auth, body: { email: `no-${p.id}@example.com` } }),
          'Invitation:Create',
        );
        expectForbidden(await kp.call('GET', '/iam/v2/invitations', { auth: p.auth }), 'Invitation:Describe');
        expectForbidden(await kp.call('GET', `/iam/v2/invitations/${theirs}`, { auth: p.auth }), 'Invitation:Describe');
        expectForbidden(await kp.call('GET', '/iam/v2/invitations/i-nope0', { auth: p.auth }), 'Invitation:Describe');
        expectForbidden(await kp.call('DELETE', `/iam/v2/invitations/${theirs}`, { auth: p.auth }), 'Invitation:Delete');
      }
      const mine = expectStatus(
        await kp.call('POST', '/iam/v2/invitations', { auth: accountAdmin.auth, body: { email: 'second@example.com' } }),
        201,
      );
      const listed = expectStatus(await kp.call('GET', '/iam/v2/invitations', { auth: accountAdmin.auth }), 200);
      expect(listed.data.map((i: { id: string }) => i.id).sort()).toEqual([theirs, mine.id].sort());
      expectStatus(await kp.call('GET', `/iam/v2/invitations/${theirs}`, { auth: accountAdmin.auth }), 200);
      expectStatus(await kp.call('DELETE', `/iam/v2/invitations/${theirs}`, { auth: accountAdmin.auth }), 204);
      expectStatus(await kp.call('GET', '/iam/v2/invitations/i-nope0', { auth: accountAdmin.auth }), 404);
      expect((await kp.call('GET', '/iam/v2/invitations')).body.data.map((i: { id: string }) => i.id)).toEqual([mine.id]);
    });
  });
});

describe('no one acts as, or removes, a principal who holds more than they do', () => {
  let kp: TestKeyplane;
  let c: ReturnType<typeof crns>;

  beforeAll(async () => {
    kp = await startTestKeyplane();
    c = crns(kp);
  });
  afterAll(() => kp.close());

  const cloudKey = (ownerId: string, auth: Auth) => kp.call('POST', '/iam/v2/api-keys', { auth, body: keyBody(ownerId) });
  const keyCount = () => kp.keyplane.services.store.count('apiKeys', {});

  function expectBeyond(res: Reply, role: string) {
    expect(res.status, res.text).toBe(403);
    expect(res.body.errors[0].code).toBe('user_unauthorized');
    expect(res.body.errors[0].detail).toContain(`holds ${role}, which the caller does not`);
  }

  it('refuses an AccountAdmin a key for the OrganizationAdmin, or for a service account that is one', async () => {
    const accountAdmin = await addPrincipal(kp, 'user', [{ role: 'AccountAdmin', crn: c.organization() }]);
    const mightyAccount = await addPrincipal(kp, 'service-account', [{ role: 'OrganizationAdmin', crn: c.organization() }]);
    const before = await keyCount();
    expectBeyond(await cloudKey(kp.admin.userId, accountAdmin.auth), 'OrganizationAdmin');
    expectBeyond(await cloudKey(mightyAccount.id, accountAdmin.auth), 'OrganizationAdmin');
    expect(await keyCount()).toBe(before);
    // An ordinary account is fine, and so is one that holds only what the caller holds.
    const plain = await addPrincipal(kp, 'service-account');
    const peer = await addPrincipal(kp, 'service-account', [{ role: 'AccountAdmin', crn: c.organization() }]);
    expectStatus(await cloudKey(plain.id, accountAdmin.auth), 202);
    expectStatus(await cloudKey(peer.id, accountAdmin.auth), 202);
    // The OrganizationAdmin may issue a key for anyone.
    expectStatus(await cloudKey(mightyAccount.id, kp.admin), 202);
  });

  it('refuses the ResourceOwner of a service account a key for it once it holds a privileged role', async () => {
    const account = await addPrincipal(kp, 'service-account');
    const owner = await addPrincipal(kp, 'user', [{ role: 'ResourceOwner', crn: c.serviceAccount(account.id) }]);
    expectStatus(await cloudKey(account.id, owner.auth), 202);
    await grant(kp, account.principal, [{ role: 'AccountAdmin', crn: c.organization() }]);
    expectBeyond(await cloudKey(account.id, owner.auth), 'AccountAdmin');
  });

  it('gives a Flink key for another principal only to a caller who may assign it', async () => {
    const env = expectStatus(await kp.call('POST', '/org/v2/environments', { body: { display_name: 'flink' } }), 201).id as string;
    const flinkAdmin = await addPrincipal(kp, 'user', [{ role: 'FlinkAdmin', crn: c.environment(env) }]);
    const account = await addPrincipal(kp, 'service-account');
    const body = keyBody(account.id, { id: REGION, environment: env });
    const refused = await kp.call('POST', '/iam/v2/api-keys', { auth: flinkAdmin.auth, body });
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.errors[0].detail).toContain('ServiceAccount:Assign');
    await grant(kp, flinkAdmin.principal, [{ role: 'Assigner', crn: c.serviceAccount(account.id) }]);
    expectStatus(await kp.call('POST', '/iam/v2/api-keys', { auth: flinkAdmin.auth, body }), 202);
    expectStatus(await kp.call('POST', '/iam/v2/api-keys', { auth: flinkAdmin.auth, body: keyBody(flinkAdmin.id, { id: REGION, environment: env }) }), 202);
  });

  it('keeps an OrganizationAdmin when two delete each other at once, and a service account cannot delete itself', async () => {
    // A server of its own: the other tests here add OrganizationAdmins of their own.
    const kp = await startTestKeyplane();
    onTestFinished(() => kp.close());
    const c = crns(kp);
    const first = await addPrincipal(kp, 'user', [{ role: 'OrganizationAdmin', crn: c.organization() }]);
    const second = await addPrincipal(kp, 'user', [{ role: 'OrganizationAdmin', crn: c.organization() }]);
    // The initial admin steps aside, so these two are the only OrganizationAdmins.
    const initial = (await kp.keyplane.services.store.find('roleBindings', { principal: `User:${kp.admin.userId}`, roleName: 'OrganizationAdmin' }))!;
    expectStatus(await kp.call('DELETE', `/iam/v2/role-bindings/${initial.id}`, { auth: first.auth }), 200);
    const results = await Promise.all([
      kp.call('DELETE', `/iam/v2/users/${second.id}`, { auth: first.auth }),
      kp.call('DELETE', `/iam/v2/users/${first.id}`, { auth: second.auth }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0], results.map((r) => r.text).join('\n')).toBe(204);
    expect(statuses[1]).toBeGreaterThanOrEqual(400);
    expect(await kp.keyplane.services.store.count('roleBindings', { roleName: 'OrganizationAdmin', crnPattern: c.organization() })).toBe(1);
    const survivor = results[0]!.status === 204 ? first : second;
    const account = await addPrincipal(kp, 'service-account', [{ role: 'OrganizationAdmin', crn: c.organization() }]);
    const self = await kp.call('DELETE', `/iam/v2/service-accounts/${account.id}`, { auth: account.auth });
    expect(self.status, self.text).toBe(400);
    expectStatus(await kp.call('DELETE', `/iam/v2/service-accounts/${account.id}`, { auth: survivor.auth }), 204);
  });

  it('refuses an AccountAdmin renaming or deleting the OrganizationAdmin, and allows it for others', async () => {
    const accountAdmin = await addPrincipal(kp, 'user', [{ role: 'AccountAdmin', crn: c.organization() }]);
    const mightyAccount = await addPrincipal(kp, 'service-account', [{ role: 'OrganizationAdmin', crn: c.organization() }]);
    expectBeyond(await kp.call('PATCH', `/iam/v2/users/${kp.admin.userId}`, { auth: accountAdmin.auth, body: { full_name: 'Nobody' } }), 'OrganizationAdmin');
    expectBeyond(await kp.call('DELETE', `/iam/v2/users/${kp.admin.userId}`, { auth: accountAdmin.auth }), 'OrganizationAdmin');
    expectBeyond(await kp.call('DELETE', `/iam/v2/service-accounts/${mightyAccount.id}`, { auth: accountAdmin.auth }), 'OrganizationAdmin');
    expect(await kp.keyplane.services.store.get('users', kp.admin.userId)).toBeDefined();
    expect(await kp.keyplane.services.store.get('serviceAccounts', mightyAccount.id)).toBeDefined();
    const someone = await addPrincipal(kp, 'user');
    expectStatus(await kp.call('DELETE', `/iam/v2/users/${someone.id}`, { auth: accountAdmin.auth }), 204);
  });
});
