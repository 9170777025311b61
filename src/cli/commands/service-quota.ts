import type { Command } from 'commander';
import { quotaDefinitions } from '../../domain/quotas.js';
import { type CliIo, UsageError } from '../io.js';
import { type Field, outputOption, type OutputFormat, printList } from '../output.js';
import { Session } from '../session.js';
import { examples, inFlagTerms } from './common.js';

/** An applied quota as `/service-quota/v1/applied-quotas` answers it. */
interface AppliedQuotaJson {
  id: string;
  scope: string;
  display_name: string;
  applied_limit: number;
  usage?: number;
  organization: { id: string };
  kafka_cluster?: { id: string; environment: string };
  user?: { id: string };
}

const quotaFields: Field<AppliedQuotaJson>[] = [
  { header: 'Quota Code', key: 'quota_code', value: (q) => q.id },
  { header: 'Name', key: 'name', value: (q) => q.display_name },
  { header: 'Scope', key: 'scope', value: (q) => q.scope.toLowerCase() },
  { header: 'Applied Limit', key: 'applied_limit', value: (q) => q.applied_limit },
  { header: 'Usage', key: 'usage', value: (q) => q.usage },
  { header: 'Organization', key: 'organization', value: (q) => q.organization.id },
  { header: 'Environment', key: 'environment', value: (q) => q.kafka_cluster?.environment },
  { header: 'Kafka Cluster', key: 'kafka_cluster', value: (q) => q.kafka_cluster?.id },
  { header: 'User', key: 'user', value: (q) => q.user?.id },
];

/** The scopes Keyplane counts quotas in, as the CLI names them: `ORGANIZATION` → `organization`, `USER_ACCOUNT` → `user-account`. */
const scopes = [...new Set(quotaDefinitions.map((q) => q.scope))]
  .map((scope) => ({ api: scope, name: scope.toLowerCase().replaceAll('_', '-') }))
  .sort((a, b) => a.name.localeCompare(b.name));

function scopeNames(): string {
  const names = scopes.map((s) => s.name);
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

interface ListOptions {
  quotaCode?: string;
  environment?: string;
  cluster?: string;
  output: OutputFormat;
}

export function registerServiceQuotaCommands(program: Command, io: CliIo): void {
  const serviceQuota = program.command('service-quota').summary('list service quotas').description('Service quotas: limits on what an organization, a user, a service account or a Kafka cluster may hold');

  serviceQuota
    .command('list')
    .summary('list the quotas of a scope')
    .description(
      `List the quotas of a scope (${scopeNames()}) with their limits and, where known, their usage.\n` +
        'User-account quotas report your own usage; kafka-cluster quotas report the usage of --cluster.',
    )
    .argument('<scope>', `the quota scope: ${scopeNames()}`)
    .option('--quota-code <code>', 'only this quota, e.g. iam.max_cloud_api_keys.per_user')
    .option('--cluster <id>', 'the Kafka cluster (lkc-…) whose usage kafka-cluster quotas report')
    .option('--environment <env>', 'the environment of --cluster')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('keyplane service-quota list organization', 'keyplane service-quota list kafka-cluster --cluster lkc-123456'),
    )
    .action((scope: string, options: ListOptions) => list(io, scope, options));
}

function apiScope(given: string): string {
  const name = given.trim().toLowerCase().replaceAll('_', '-');
  const scope = scopes.find((s) => s.name === name);
  if (!scope) throw new UsageError(`there are no quotas of scope "${given}"`, `use ${scopeNames()}`);
  return scope.api;
}

async function list(io: CliIo, scope: string, options: ListOptions): Promise<void> {
  const query = {
    scope: apiScope(scope),
    id: options.quotaCode,
    kafka_cluster: options.cluster,
    environment: options.environment,
  };
  const session = Session.open(io);
  const quotas = await session.client.list<AppliedQuotaJson>('/service-quota/v1/applied-quotas', query).catch((error: unknown) => {
    throw inFlagTerms(error, { kafka_cluster: '--cluster', environment: '--environment' });
  });
  printList(io, options.output, quotaFields, quotas);
}
