import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, startTestKeyplane, type TestKeyplane, testBackend } from '../../../test/support/harness.js';

// Quotas are counted and enforced inside the creating transaction; these races prove that
// concurrent creates cannot overshoot them. On PostgreSQL the in-process app has a pool of 10
// connections, so up to 10 transactions really do run at once in the database.
const LIMIT = 10;

let kp: TestKeyplane;

beforeAll(async () => {
  kp = await startTestKeyplane({
    KEYPLANE_QUOTAS: [
      `iam.max_cloud_api_keys.per_service_account=${LIMIT}`,
      `kafka.max_api_keys.per_cluster=${LIMIT}`,
    ].join(','),
  });
});
afterAll(() => kp.close());

async function serviceAccount(name: string): Promise<string> {
  const res = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: name } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

function tally(replies: Reply[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of replies) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

const totalSize = async (query: string) => (await kp.call('GET', `/iam/v2/api-keys?${query}&page_size=1`)).body.metadata.total_size;

describe(`quota races (${testBackend})`, () => {
  it(`200 concurrent key creations for one owner against a quota of ${LIMIT} give exactly ${LIMIT} keys`, async () => {
    const owner = await serviceAccount('racing-owner');
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        kp.call('POST', '/iam/v2/api-keys', {
          body: { spec: { display_name: `race ${i}`, owner: { id: owner }, resource: { id: 'cloud' } } },
        }),
      ),
    );
    expect(tally(replies)).toEqual({ 202: LIMIT, 402: 200 - LIMIT });
    for (const r of replies.filter((r) => r.status === 402)) {
      expect(r.body.errors[0].code).toBe('quota_exceeded');
      expect(r.body.errors[0].detail).toContain('iam.max_cloud_api_keys.per_service_account');
    }
    const ids = replies.filter((r) => r.status === 202).map((r) => r.body.id);
    expect(new Set(ids).size).toBe(LIMIT);
    expect(await totalSize(`spec.owner=${owner}`)).toBe(LIMIT);

    // Every winner is a working key; the quota is full, and frees up when one is deleted.
    const winner = replies.find((r) => r.status === 202)!.body;
    const auth = { key: winner.id, secret: winner.spec.secret };
    expect((await kp.call('GET', `/iam/v2/api-keys/${winner.id}`, { auth })).status).toBe(200);
    const again = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: owner }, resource: { id: 'cloud' } } } });
    expect(again.status).toBe(402);
    expect((await kp.call('DELETE', `/iam/v2/api-keys/${ids[1]}`)).status).toBe(204);
    const refill = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: owner }, resource: { id: 'cloud' } } } });
    expect(refill.status).toBe(202);
  });

  it('50 concurrent service-account creations with one name give one account and 49 conflicts', async () => {
    const name = 'one-name-only';
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: name, description: `attempt ${i}` } }),
      ),
    );
    expect(tally(replies)).toEqual({ 201: 1, 409: 49 });
    const winner = replies.find((r) => r.status === 201)!.body;
    for (const r of replies.filter((r) => r.status === 409)) {
      expect(r.body.errors[0].code).toBe('resource_already_exists');
      expect(r.headers.get('location')).toBe(`${kp.publicUrl}/iam/v2/service-accounts/${winner.id}`);
    }
    const list = await kp.call('GET', `/iam/v2/service-accounts?display_name=${name}`);
    expect(list.body.data.map((a: { id: string }) => a.id)).toEqual([winner.id]);
  });

  it(`100 concurrent creations by 5 owners on one Kafka cluster with a quota of ${LIMIT} give exactly ${LIMIT} keys`, async () => {
    const envId = (await kp.keyplane.services.store.find('environments', { displayName: 'default' }))!.id;
    const cluster = await kp.call('POST', '/cmk/v2/clusters', {
      body: {
        spec: {
          display_name: 'racing',
          cloud: 'AWS',
          region: 'us-east-1',
          availability: 'SINGLE_ZONE',
          config: { kind: 'Basic' },
          environment: { id: envId },
        },
      },
    });
    expect([201, 202], cluster.text).toContain(cluster.status);
    const clusterId: string = cluster.body.id;
    const owners = await Promise.all([1, 2, 3, 4, 5].map((n) => serviceAccount(`cluster-racer-${n}`)));
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        kp.call('POST', '/iam/v2/api-keys', {
          body: { spec: { owner: { id: owners[i % owners.length] }, resource: { id: clusterId, environment: envId } } },
        }),
      ),
    );
    expect(tally(replies)).toEqual({ 202: LIMIT, 402: 100 - LIMIT });
    for (const r of replies.filter((r) => r.status === 402)) {
      expect(r.body.errors[0].detail).toContain('kafka.max_api_keys.per_cluster');
    }
    expect(await totalSize(`spec.resource=${clusterId}`)).toBe(LIMIT);
  });
});
