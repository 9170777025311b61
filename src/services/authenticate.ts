import { isApiKeyId } from '../domain/ids.js';
import { isManagementScope, type KeyScopeKind } from '../domain/resources.js';
import type { AuthenticationEvent } from './authentication-events.js';
import type { Actor, ServiceContext } from './context.js';
import { type KeyRecord, keyRecord } from './key-cache.js';

export type AuthenticationFailure = 'invalid_credentials' | 'not_a_management_key';

export type Authentication =
  | { ok: true; actor: Actor; key: KeyRecord }
  | { ok: false; reason: AuthenticationFailure; keyId?: string; scope?: KeyScopeKind };

/** Where a credential was presented, for the authentication event it produces. */
export interface Origin {
  via: AuthenticationEvent['via'];
  clientAddress?: string | undefined;
  /** When the request arrived (ms since the epoch), read once for all it reports; else the clock at reporting. */
  time?: number | undefined;
}

/**
 * The key `keyId` when `secret` is its secret, otherwise null; synchronous when the cache can
 * answer. An unknown id, a wrong secret and a key whose owner is gone give the same answer; the
 * secret is compared in constant time. A secret that verified once on this node is remembered by
 * fingerprint, so a repeat costs one SHA-256 and a map lookup, as an unknown id does; only a
 * key's first check on a node costs an HMAC (which tells, by its time, that the id exists: key
 * ids are not secret).
 */
export function checkSecret(ctx: ServiceContext, keyId: string, secret: string): KeyRecord | null | Promise<KeyRecord | null> {
  const cached = ctx.keys.peek(keyId);
  if (cached !== undefined) return matching(ctx, cached, secret);
  if (!isApiKeyId(keyId)) return matching(ctx, null, secret);
  return loadKey(ctx, keyId).then((record) => matching(ctx, record, secret));
}

function matching(ctx: ServiceContext, record: KeyRecord | null, secret: string): KeyRecord | null {
  const { hasher } = ctx;
  // An unknown id costs what a wrong secret for a busy key costs: a fingerprint and a compare.
  if (!record) return hasher.sameFingerprint(hasher.fingerprint(secret), NO_FINGERPRINT) ? record : null;
  if (record.verified !== undefined) return hasher.sameFingerprint(record.verified, hasher.fingerprint(secret)) ? record : null;
  if (!hasher.verify(secret, { hash: record.secretHash, version: record.pepperVersion })) return null;
  record.verified = hasher.fingerprint(secret);
  return record;
}

/** As long as a fingerprint (SHA-256 in base64) and never one: `-` is not a base64 character. */
const NO_FINGERPRINT = '-'.repeat(44);

export function actorOf(key: KeyRecord): Actor {
  return { via: 'key', principalId: key.ownerId, principalKind: key.ownerKind as Actor['principalKind'], keyId: key.id };
}

/** Tells the context's observers of one authentication. */
export function reportAuthentication(
  ctx: ServiceContext,
  origin: Origin,
  keyId: string,
  outcome: { key: KeyRecord; reason?: string | undefined } | { key?: undefined; reason: string },
  resource?: string,
): void {
  // One object shape for every event (absent fields undefined), which keeps this path monomorphic.
  const event: AuthenticationEvent = {
    time: origin.time ?? ctx.now().getTime(),
    outcome: outcome.reason === undefined ? 'success' : 'failure',
    reason: outcome.reason,
    keyId: outcome.key ? outcome.key.id : isApiKeyId(keyId) ? keyId : undefined,
    principalId: outcome.key?.ownerId,
    resource,
    clientAddress: origin.clientAddress,
    via: origin.via,
  };
  ctx.authentications.authenticated(event);
}

/** Checks a key id and secret (see checkSecret), and reports the outcome. */
export async function authenticateKey(
  ctx: ServiceContext,
  keyId: string,
  secret: string,
  origin: Origin = { via: 'management' },
): Promise<Authentication> {
  const key = await checkSecret(ctx, keyId, secret);
  if (!key) {
    reportAuthentication(ctx, origin, keyId, { reason: 'invalid_credentials' });
    return { ok: false, reason: 'invalid_credentials' };
  }
  if (origin.via === 'management' && !isManagementScope(key.scopeKind as KeyScopeKind)) {
    reportAuthentication(ctx, origin, keyId, { key, reason: 'not_a_management_key' });
    return { ok: false, reason: 'not_a_management_key', keyId: key.id, scope: key.scopeKind as KeyScopeKind };
  }
  reportAuthentication(ctx, origin, keyId, { key });
  return { ok: true, actor: actorOf(key), key };
}

/** Management calls take a Cloud or Global key; a resource key is refused with its own reason. */
export function authenticateManagement(ctx: ServiceContext, keyId: string, secret: string, clientAddress?: string): Promise<Authentication> {
  return authenticateKey(ctx, keyId, secret, { via: 'management', clientAddress });
}

/**
 * The key as the cache or, on a miss, the database knows it. A key whose owner is gone counts as
 * unknown (deleting an owner deletes its keys in the same transaction; this guards the rest).
 */
async function loadKey(ctx: ServiceContext, id: string): Promise<KeyRecord | null> {
  const cached = ctx.keys.lookup(id);
  if (cached.hit) return cached.record;
  const row = await ctx.store.get('apiKeys', id);
  const owner =
    row && (row.ownerKind === 'User' ? await ctx.store.get('users', row.ownerId) : await ctx.store.get('serviceAccounts', row.ownerId));
  const record = row && owner ? keyRecord(row) : null;
  ctx.keys.remember(id, record, cached.generation);
  return record;
}
