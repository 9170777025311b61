import { KeyplaneError } from '../domain/errors.js';
import { type QuotaCode, type QuotaScope, quotaDefinitions } from '../domain/quotas.js';
import type { Page, PageRequest, Store } from '../storage/store.js';
import { type Caller, can, ensure } from './access.js';
import { type Actor, notFound, type ServiceContext } from './context.js';
import { quotaUsage } from './quota-guard.js';

export const quotaScopes: readonly QuotaScope[] = ['ORGANIZATION', 'USER_ACCOUNT', 'SERVICE_ACCOUNT', 'KAFKA_CLUSTER'];

function readScope(value: string | undefined): QuotaScope {
  const scope = quotaScopes.find((s) => s === value?.toUpperCase());
  if (!scope) throw invalidFilter('scope', `scope is required and must be one of ${quotaScopes.join(', ')}`);
  return scope;
}


/** A quota as it applies here: its definition, the configured limit and, where known, the usage. */
export interface AppliedQuota {
  definition: (typeof quotaDefinitions)[number];
  appliedLimit: number;
  /** Absent when the request does not say whose usage (a cluster quota without a cluster). */
  usage?: number;
  kafkaCluster?: { id: string; environmentId: string };
  userId?: string;
}

export interface AppliedQuotaFilter {
  /** Required by the list: ORGANIZATION, USER_ACCOUNT, SERVICE_ACCOUNT or KAFKA_CLUSTER. */
  scope?: string | undefined;
  /** Quota codes, any of them; empty means every code of the scope. */
  codes?: readonly string[];
  kafkaClusterId?: string | undefined;
  /** Must exist and hold the cluster; no quota here is counted per environment, so it narrows nothing else. */
  environmentId?: string | undefined;
}

function invalidFilter(parameter: string, detail: string): KeyplaneError {
  return new KeyplaneError('invalid_filter', detail, { source: { parameter } });
}

/** What the filter names: the environment, and the Kafka cluster whose usage is reported. */
interface QuotaPlace {
  environmentId: string | undefined;
  cluster: AppliedQuota['kafkaCluster'];
}

async function resolvePlace(store: Store, filter: AppliedQuotaFilter): Promise<QuotaPlace> {
  const environmentId = filter.environmentId?.toLowerCase() || undefined;
  if (environmentId && !(await store.get('environments', environmentId))) {
    throw invalidFilter('environment', `The environment '${filter.environmentId}' does not exist`);
  }
  return { environmentId, cluster: await resolveCluster(store, filter, environmentId) };
}

async function resolveCluster(
  store: Store,
  filter: AppliedQuotaFilter,
  environmentId: string | undefined,
): Promise<AppliedQuota['kafkaCluster']> {
  if (!filter.kafkaClusterId) return undefined;
  const id = filter.kafkaClusterId.toLowerCase();
  const cluster = await store.get('resources', id);
  if (cluster?.type !== 'kafka') {
    throw invalidFilter('kafka_cluster', `The Kafka cluster '${filter.kafkaClusterId}' does not exist`);
  }
  if (environmentId && environmentId !== cluster.environmentId) {
    throw invalidFilter(
      'environment',
      `The Kafka cluster '${id}' is in environment '${cluster.environmentId}', not '${environmentId}'`,
    );
  }
  return { id, environmentId: cluster.environmentId };
}

/**
 * Where reading a quota of `scope` is authorized: a cluster quota on the cluster (or the
 * environment) the request names, every other quota on the organization.
 */
function quotaCrn(ctx: ServiceContext, scope: QuotaScope, place: QuotaPlace): string {
  if (scope === 'KAFKA_CLUSTER') {
    if (place.cluster) return ctx.crn.kafkaCluster(place.cluster.environmentId, place.cluster.id);
    if (place.environmentId) return ctx.crn.environment(place.environmentId);
  }
  return ctx.crn.organization();
}

const QUOTA_DESCRIBE = 'Quota:Describe';

/** How much of `code` is used, from the counters the creating transactions keep. */
async function usageOf(
  ctx: ServiceContext,
  code: QuotaCode,
  cluster: AppliedQuota['kafkaCluster'],
  caller: Actor | undefined,
): Promise<Pick<AppliedQuota, 'usage' | 'kafkaCluster' | 'userId'>> {
  switch (code) {
    case 'iam.max_service_accounts.per_org':
    case 'iam.max_environments.per_org':
    case 'iam.max_cloud_api_keys.per_org':
      return { usage: await quotaUsage(ctx.store, { code, scopeId: ctx.orgId }) };
    case 'kafka.max_api_keys.per_cluster':
      return cluster ? { usage: await quotaUsage(ctx.store, { code, scopeId: cluster.id }), kafkaCluster: cluster } : {};
    case 'iam.max_cloud_api_keys.per_user':
    case 'iam.max_cluster_api_keys.per_user': {
      if (caller?.principalKind !== 'User') return {};
      return { usage: await quotaUsage(ctx.store, { code, scopeId: caller.principalId }), userId: caller.principalId };
    }
    // An AppliedQuota has no field naming a service account, so whose usage it is could not be said.
    case 'iam.max_cloud_api_keys.per_service_account':
    case 'iam.max_cluster_api_keys.per_service_account':
      return {};
  }
}

async function apply(
  ctx: ServiceContext,
  definition: AppliedQuota['definition'],
  cluster: AppliedQuota['kafkaCluster'],
  caller: Actor | undefined,
): Promise<AppliedQuota> {
  return {
    definition,
    appliedLimit: ctx.quotas[definition.code],
    ...(await usageOf(ctx, definition.code, cluster, caller)),
  };
}

/**
 * The quotas of one scope that the caller may read, ordered by code. The whole list is a
 * handful of rows, so it is paged in memory; the cursor is the last code of the previous page.
 * User-scoped quotas report the calling user's own usage.
 */
export async function listAppliedQuotas(
  ctx: ServiceContext,
  caller: Caller,
  filter: AppliedQuotaFilter,
  page: PageRequest,
): Promise<Page<AppliedQuota>> {
  const scope = readScope(filter.scope);
  const place = await resolvePlace(ctx.store, filter);
  const cluster = place.cluster;
  const readable = can(ctx, caller, QUOTA_DESCRIBE, quotaCrn(ctx, scope, place)).allowed;
  const codes = filter.codes?.length ? filter.codes : undefined;
  const matching = quotaDefinitions
    .filter((q) => readable && q.scope === scope && (!codes || codes.includes(q.code)))
    .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const after = page.after?.id;
  const rest = after === undefined ? matching : matching.filter((q) => q.code > after);
  const selected = rest.slice(0, page.limit);
  const items = await Promise.all(selected.map((q) => apply(ctx, q, cluster, caller.actor)));
  const last = selected.at(-1);
  return rest.length > page.limit && last
    ? { items, total: matching.length, next: { createdAt: '', id: last.code } }
    : { items, total: matching.length };
}

export async function getAppliedQuota(
  ctx: ServiceContext,
  caller: Caller,
  code: string,
  filter: AppliedQuotaFilter,
): Promise<AppliedQuota> {
  const definition = quotaDefinitions.find((q) => q.code === code);
  if (!definition) throw notFound('applied_quota_not_found', 'Applied quota', code);
  const place = await resolvePlace(ctx.store, filter);
  ensure(ctx, caller, QUOTA_DESCRIBE, quotaCrn(ctx, definition.scope, place));
  return apply(ctx, definition, place.cluster, caller.actor);
}
