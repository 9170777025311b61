import { getFlinkRegion, listFlinkRegions } from '../../services/flink-regions.js';
import type { Api } from '../api.js';
import { queryParam } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { presentFlinkRegion } from '../presenters/flink-region.js';

const TAG = 'Flink Regions (fcpm/v2)';

export function registerFlinkRegionRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/fcpm/v2/regions',
      summary: 'List the Flink regions a key can be scoped to',
      tag: TAG,
      query: [
        { name: 'cloud', description: 'Only regions of this cloud: AWS, GCP or AZURE' },
        { name: 'region_name', description: 'Only the region with this name, e.g. us-east-1' },
        { name: 'page_size', description: 'Items per page, default 10, at most 100' },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
      ],
      responses: { 200: 'A page of regions' },
    },
    async (c) => {
      const page = listFlinkRegions(
        c.get('services'),
        await callerOf(c),
        { cloud: queryParam(c, 'cloud'), regionName: queryParam(c, 'region_name') },
        readPage(c),
      );
      return c.json(listEnvelope(c, 'fcpm/v2', 'RegionList', page, page.items.map((r) => presentFlinkRegion(c, r))));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/fcpm/v2/regions/{id}',
      summary: 'Read a Flink region (aws.us-east-1, …)',
      tag: TAG,
      responses: { 200: 'The region' },
    },
    async (c) => c.json(presentFlinkRegion(c, getFlinkRegion(c.get('services'), await callerOf(c), c.req.param('id')!))),
  );
}
