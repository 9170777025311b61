import type { Store, Where } from '../storage/store.js';
import { type ServiceContext, timestamp } from './context.js';
import { apiKeyQuotaUses, releaseQuotas } from './quota-guard.js';

/**
 * The channel on which every node hears which key ids to forget from its cache: keys that are
 * gone, and new keys whose id a node may have cached as a miss. Payload: ids, comma-separated.
 */
export const KEYS_REMOVED = 'api-keys.removed';

// PostgreSQL caps a notification at 8000 bytes; 400 ids of 16 characters stay well inside.
const IDS_PER_MESSAGE = 400;

/**
 * Deletes the matching keys and, in the same transaction, gives back their quota and tells every
 * node to stop accepting them. Every path that deletes keys comes through here.
 */
export async function removeApiKeys(ctx: ServiceContext, tx: Store, where: Where<'apiKeys'>): Promise<string[]> {
  const removed = await tx.deleteWhere('apiKeys', where);
  const now = timestamp(ctx);
  await releaseQuotas(
    tx,
    removed.flatMap((key) => apiKeyQuotaUses(ctx.orgId, key)),
    now,
  );
  const ids = removed.map((key) => key.id);
  await forgetEverywhere(ctx, tx, ids, now);
  return ids;
}

/**
 * Tells every node, this one included, to forget what it cached for these key ids, once the
 * transaction commits (outermost, when it is nested): before then the change is not visible.
 */
export async function forgetEverywhere(ctx: ServiceContext, tx: Store, ids: readonly string[], now: string): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
    await tx.publish({
      id: Buffer.from(ctx.randomBytes(16)).toString('hex'),
      channel: KEYS_REMOVED,
      payload: ids.slice(i, i + IDS_PER_MESSAGE).join(','),
      createdAt: now,
    });
  }
}
