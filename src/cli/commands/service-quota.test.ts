import { describe, expect, it } from 'vitest';
import { cliSuite, keyplane, stable } from '../../../test/support/cli.js';

const suite = cliSuite();


const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/;

interface QuotaOut {
  quota_code: string;
  name: string;
  scope: string;
  applied_limit: number;
  usage: number | null;
  organization: string;
  environment: string | null;
  kafka_cluster: string | null;
  user: string | null;
}

async function json<T>(args: string[]): Promise<T> {
  const result = await keyplane([...args, '-o', 'json'], { home: suite.home });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describe('keyplane service-quota list', () => {
  it('organization: the limits and usage of the organization', async () => {
    const result = await keyplane(['service-quota', 'list', 'organization'], { home: suite.home });
    expect(result.code).toBe(0);
    expect(stable(result.stdout)).toMatchSnapshot();

    const quotas = await json<QuotaOut[]>(['service-quota', 'list', 'organization']);
    expect(quotas.map((q) => q.quota_code)).toEqual(['iam.max_cloud_api_keys.per_org', 'iam.max_environments.per_org', 'iam.max_service_accounts.per_org']);
    expect(quotas.find((q) => q.quota_code === 'iam.max_environments.per_org')).toMatchObject({ scope: 'organization', applied_limit: 25, usage: 1 });
    expect(quotas.every((q) => UUID.test(q.organization) && q.kafka_cluster === null)).toBe(true);
  });

  it('user-account: your own usage; --quota-code keeps one quota', async () => {
    const quotas = await json<QuotaOut[]>(['service-quota', 'list', 'user_account', '--quota-code', 'iam.max_cloud_api_keys.per_user']);
    expect(quotas).toHaveLength(1);
    expect(quotas[0]).toMatchObject({ quota_code: 'iam.max_cloud_api_keys.per_user', scope: 'user_account', applied_limit: 10, usage: 1, user: expect.stringMatching(/^u-/) });
  });

  it('kafka-cluster: the usage of --cluster, with its environment', async () => {
    const env = (await json<{ id: string }>(['environment', 'create', 'quotas'])).id;
    const cluster = (await json<{ id: string }>(['kafka', 'cluster', 'create', 'q', '--cloud', 'aws', '--region', 'us-east-1', '--environment', env])).id;
    const quotas = await json<QuotaOut[]>(['service-quota', 'list', 'kafka-cluster', '--cluster', cluster]);
    expect(quotas).toEqual([
      expect.objectContaining({ quota_code: 'kafka.max_api_keys.per_cluster', scope: 'kafka_cluster', applied_limit: 2000, usage: 0, environment: env, kafka_cluster: cluster }),
    ]);
  });

  it('refuses scopes it does not keep and clusters that do not exist', async () => {
    const scope = await keyplane(['service-quota', 'list', 'environment'], { home: suite.home });
    expect(scope.code).toBe(2);
    expect(scope.stderr).toBe('keyplane: error: there are no quotas of scope "environment"; use kafka-cluster, organization, service-account or user-account\n');

    const cluster = await keyplane(['service-quota', 'list', 'kafka-cluster', '--cluster', 'lkc-nope00'], { home: suite.home });
    expect(cluster.code).toBe(1);
    expect(cluster.stderr).toBe("keyplane: error: --cluster: The Kafka cluster 'lkc-nope00' does not exist\n");
  });
});
