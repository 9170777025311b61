import { KeyplaneError } from '../domain/errors.js';
import { type FlinkRegion, findFlinkRegion, flinkRegions, isCloudProvider } from '../domain/regions.js';
import type { Page, PageRequest } from '../storage/store.js';
import { type Caller, ensure } from './access.js';
import { notFound, type ServiceContext } from './context.js';

export interface FlinkRegionFilter {
  /** AWS, GCP or AZURE, in any case. */
  cloud?: string | undefined;
  regionName?: string | undefined;
}

const byId = [...flinkRegions].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The catalogue is the organization's: any principal that may describe the organization reads it. */
function ensureMember(ctx: ServiceContext, caller: Caller): void {
  ensure(ctx, caller, 'Organization:Describe', ctx.crn.organization());
}

/**
 * The static catalogue, filtered and paged in id order. The page cursor carries the last id
 * shown (its `createdAt` is empty: catalogue entries have none), so pages stay consistent
 * whatever token a client sends.
 */
export function listFlinkRegions(
  ctx: ServiceContext,
  caller: Caller,
  filter: FlinkRegionFilter,
  page: PageRequest,
): Page<FlinkRegion> {
  ensureMember(ctx, caller);
  const cloud = filter.cloud?.toUpperCase();
  if (cloud !== undefined && !isCloudProvider(cloud)) {
    throw new KeyplaneError('invalid_filter', 'cloud must be AWS, GCP or AZURE', { source: { parameter: 'cloud' } });
  }
  const regionName = filter.regionName?.toLowerCase();
  const matching = byId.filter((r) => (!cloud || r.cloud === cloud) && (!regionName || r.regionName === regionName));
  const after = page.after?.id;
  const rest = after === undefined ? matching : matching.filter((r) => r.id > after);
  const items = rest.slice(0, page.limit);
  const last = items.at(-1);
  return rest.length > page.limit && last
    ? { items, total: matching.length, next: { createdAt: '', id: last.id } }
    : { items, total: matching.length };
}

export function getFlinkRegion(ctx: ServiceContext, caller: Caller, id: string): FlinkRegion {
  ensureMember(ctx, caller);
  const region = findFlinkRegion(id.trim());
  if (!region) throw notFound('region_not_found', 'Flink region', id);
  return region;
}
