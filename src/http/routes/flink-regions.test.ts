import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { flinkRegions } from '../../domain/regions.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp.close());

type Region = { id: string; cloud: string; region_name: string };

describe('Flink regions', () => {
  it('lists the whole catalogue across pages', async () => {
    const first = await kp.call('GET', '/fcpm/v2/regions?page_size=100');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ api_version: 'fcpm/v2', kind: 'RegionList', metadata: { total_size: flinkRegions.length } });
    expect(first.body.data).toHaveLength(flinkRegions.length);
    expect(first.body.metadata.next).toBeUndefined();

    const seen: string[] = [];
    let path: string | undefined = '/fcpm/v2/regions?page_size=7';
    while (path) {
      const page: { body: { data: Region[]; metadata: { next?: string; total_size: number } } } = await kp.call('GET', path);
      expect(page.body.metadata.total_size).toBe(flinkRegions.length);
      seen.push(...page.body.data.map((r) => r.id));
      const next = page.body.metadata.next ? new URL(page.body.metadata.next) : undefined;
      path = next ? `${next.pathname}${next.search}` : undefined;
    }
    expect(seen.sort()).toEqual(flinkRegions.map((r) => r.id).sort());
  });

  it('filters by cloud, in any case, and by region name', async () => {
    const gcp = await kp.call('GET', '/fcpm/v2/regions?cloud=gcp&page_size=100');
    expect(gcp.body.data.length).toBe(flinkRegions.filter((r) => r.cloud === 'GCP').length);
    expect(gcp.body.data.every((r: Region) => r.cloud === 'GCP')).toBe(true);

    const named = await kp.call('GET', '/fcpm/v2/regions?region_name=us-east-1&cloud=');
    expect(named.body.data.map((r: Region) => r.id)).toEqual(['aws.us-east-1']);
    expect(named.body.metadata.total_size).toBe(1);

    const bad = await kp.call('GET', '/fcpm/v2/regions?cloud=mars');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ code: 'invalid_filter', source: { parameter: 'cloud' } });
  });

  it('reads one region, case-insensitively', async () => {
    const res = await kp.call('GET', '/fcpm/v2/regions/AWS.US-EAST-1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      api_version: 'fcpm/v2',
      kind: 'Region',
      id: 'aws.us-east-1',
      metadata: { self: `${kp.publicUrl}/fcpm/v2/regions/aws.us-east-1` },
      display_name: 'N. Virginia (us-east-1)',
      cloud: 'AWS',
      region_name: 'us-east-1',
      http_endpoint: expect.stringMatching(/^https:\/\/.+\.keyplane\.local$/),
      private_http_endpoint: expect.stringMatching(/^https:\/\/.+\.keyplane\.local$/),
    });
  });

  it('answers 404 for an unknown region and 401 without credentials', async () => {
    const res = await kp.call('GET', '/fcpm/v2/regions/aws.mars-1');
    expect(res.status).toBe(404);
    expect(res.body.errors[0].code).toBe('region_not_found');
    const anon = await kp.call('GET', '/fcpm/v2/regions', { auth: false });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/^Basic/);
  });
});
