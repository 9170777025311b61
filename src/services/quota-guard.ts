import { KeyplaneError } from '../domain/errors.js';
import { apiKeyQuotaCodes, type QuotaCode, type QuotaLimits } from '../domain/quotas.js';
import { isManagementScope, type KeyScopeKind } from '../domain/resources.js';
import type { ApiKey } from '../storage/schema.js';
import type { Store } from '../storage/store.js';

/** One object counted against one quota: `scopeId` is the user, account, cluster or organization it counts in. */
export interface QuotaUse {
  code: QuotaCode;
  scopeId: string;
}

function counterId(use: QuotaUse): string {
  return `quota:${use.code}:${use.scopeId}`;
}

function tally(uses: readonly QuotaUse[], sign: 1 | -1): { deltas: Map<string, number>; byId: Map<string, QuotaUse> } {
  const deltas = new Map<string, number>();
  const byId = new Map<string, QuotaUse>();
  for (const use of uses) {
    const id = counterId(use);
    deltas.set(id, (deltas.get(id) ?? 0) + sign);
    byId.set(id, use);
  }
  return { deltas, byId };
}

/**
 * Counts new objects against their quotas inside the creating transaction, and refuses when one
 * would pass its limit (the transaction then rolls the counts back). Counters stay locked until
 * the transaction ends, so creates that race are counted one after another on every backend;
 * call this last, just before the transaction commits, to hold them briefly.
 * Without `limits` (the first start) nothing is refused.
 */
export async function consumeQuotas(tx: Store, uses: readonly QuotaUse[], now: string, limits?: QuotaLimits): Promise<void> {
  const { deltas, byId } = tally(uses, 1);
  const after = await tx.addToCounters(deltas, now);
  for (const [id, use] of byId) {
    const limit = limits?.[use.code];
    const used = after.get(id) ?? 0;
    const added = deltas.get(id) ?? 0;
    if (limit !== undefined && used > limit) {
      throw new KeyplaneError('quota_exceeded', `Quota '${use.code}' exceeded: ${used - added} of ${limit} already used for ${use.scopeId}`);
    }
  }
}

/** Gives back what removed objects counted, in the removing transaction. */
export async function releaseQuotas(tx: Store, uses: readonly QuotaUse[], now: string): Promise<void> {
  await tx.addToCounters(tally(uses, -1).deltas, now);
}

/** How much of a quota is used in one scope. */
export async function quotaUsage(store: Store, use: QuotaUse): Promise<number> {
  return (await store.get('counters', counterId(use)))?.value ?? 0;
}

/** What one API key counts against: its owner's quota, and the organization's or its cluster's. */
export function apiKeyQuotaUses(orgId: string, key: Pick<ApiKey, 'ownerId' | 'ownerKind' | 'scopeKind' | 'resourceId'>): QuotaUse[] {
  const kind = key.scopeKind as KeyScopeKind;
  const codes = apiKeyQuotaCodes(key.ownerKind as 'User' | 'ServiceAccount', isManagementScope(kind), kind === 'Cluster');
  return codes.map((code) => ({
    code,
    scopeId: code.endsWith('.per_org') ? orgId : code === 'kafka.max_api_keys.per_cluster' ? key.resourceId : key.ownerId,
  }));
}
