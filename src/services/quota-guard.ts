import { KeyplaneError } from '../domain/errors.js';
import type { QuotaCode } from '../domain/quotas.js';
import type { Store } from '../storage/store.js';
import type { ServiceContext } from './context.js';

/**
 * Refuses a create that would take `code` past its limit. Call inside the creating transaction,
 * after `tx.lock(lockKey)`, so that racing creates are counted one after another.
 */
export async function enforceQuota(
  ctx: ServiceContext,
  tx: Store,
  code: QuotaCode,
  lockKey: string,
  usage: () => Promise<number>,
): Promise<void> {
  await tx.lock(`quota:${lockKey}`);
  const limit = ctx.quotas[code];
  const used = await usage();
  if (used >= limit) {
    throw new KeyplaneError('quota_exceeded', `Quota '${code}' exceeded: ${used} of ${limit} already used for ${lockKey}`);
  }
}
