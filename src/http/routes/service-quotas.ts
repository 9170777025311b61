import { getAppliedQuota, listAppliedQuotas } from '../../services/service-quotas.js';
import type { Api } from '../api.js';
import { queryParam, queryParams } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { presentAppliedQuota } from '../presenters/applied-quota.js';

const TAG = 'Service Quotas (service-quota/v1)';

/** Confluent allows up to 200 applied quotas per page. */
const MAX_QUOTA_PAGE_SIZE = 200;

export function registerServiceQuotaRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/service-quota/v1/applied-quotas',
      summary: 'List the quotas of one scope with their limits and, where known, usage',
      tag: TAG,
      query: [
        {
          name: 'scope',
          description: 'ORGANIZATION, USER_ACCOUNT, SERVICE_ACCOUNT or KAFKA_CLUSTER',
          required: true,
        },
        { name: 'id', description: 'Only this quota code; repeat for any of several', repeated: true },
        { name: 'kafka_cluster', description: 'Report per-cluster usage for this Kafka cluster (lkc-…)' },
        { name: 'environment', description: 'The environment of kafka_cluster' },
        { name: 'page_size', description: 'Items per page, default 10, at most 200' },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
      ],
      responses: { 200: 'A page of applied quotas' },
    },
    async (c) => {
      const page = await listAppliedQuotas(
        c.get('services'),
        await callerOf(c),
        {
          scope: queryParam(c, 'scope'),
          codes: queryParams(c, 'id'),
          kafkaClusterId: queryParam(c, 'kafka_cluster'),
          environmentId: queryParam(c, 'environment'),
        },
        readPage(c, MAX_QUOTA_PAGE_SIZE),
      );
      return c.json(
        listEnvelope(c, 'service-quota/v1', 'AppliedQuotaList', page, page.items.map((q) => presentAppliedQuota(c, q))),
      );
    },
  );

  api.route(
    {
      method: 'get',
      path: '/service-quota/v1/applied-quotas/{id}',
      summary: 'Read one quota by its code',
      tag: TAG,
      query: [
        { name: 'kafka_cluster', description: 'Report per-cluster usage for this Kafka cluster (lkc-…)' },
        { name: 'environment', description: 'The environment of kafka_cluster' },
      ],
      responses: { 200: 'The applied quota' },
    },
    async (c) => {
      const quota = await getAppliedQuota(c.get('services'), await callerOf(c), c.req.param('id')!, {
        kafkaClusterId: queryParam(c, 'kafka_cluster'),
        environmentId: queryParam(c, 'environment'),
      });
      return c.json(presentAppliedQuota(c, quota));
    },
  );
}
