import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultQuotaLimits } from '../domain/quotas.js';
import { openSqliteStore } from '../storage/sqlite/open-sqlite.js';
import type { Store } from '../storage/store.js';
import { authenticateKey } from './authenticate.js';
import { bootstrap } from './bootstrap.js';
import { createContext, type ServiceContext } from './context.js';
import { type KeyInvalidation, type KeyInvalidationOptions, startKeyInvalidation } from './key-invalidation.js';
import { KEYS_REMOVED, removeApiKeys } from './key-removal.js';
import { createSecretHasher } from './secret-hasher.js';

const HOUR = 60 * 60 * 1000;
// Timers stay out of these tests: the interval is far beyond any test and resync() is called directly.
const options: KeyInvalidationOptions = { resyncMs: 24 * HOUR, overlapMs: 60_000, retentionMs: HOUR };

let store: Store;
let ctx: ServiceContext;
let invalidation: KeyInvalidation;
let now: Date;
let admin: { key: string; secret: string };

beforeEach(async () => {
  store = await openSqliteStore(':memory:');
  now = new Date('2030-01-01T12:00:00.000Z');
  const deps = {
    store,
    hasher: createSecretHasher({ current: 1, keys: new Map([[1, randomBytes(32)]]) }),
    quotas: defaultQuotaLimits(),
    now: () => now,
  };
  const boot = await bootstrap(deps, { adminEmail: 'admin@example.com' });
  admin = { key: boot.initialCredentials!.key, secret: boot.initialCredentials!.secret };
  ctx = createContext(deps, boot.organization.id);
  invalidation = startKeyInvalidation(ctx, options);
});

afterEach(async () => {
  invalidation.stop();
  await store.close();
});

const cached = (id: string) => ctx.keys.lookup(id).hit;

/** Authenticates once, so that the key is in this node's cache. */
async function warm(key: string, secret: string): Promise<void> {
  expect((await authenticateKey(ctx, key, secret)).ok).toBe(true);
  expect(cached(key)).toBe(true);
}

/** Deletes the key row as a lost message would leave things: no notification, no live delivery. */
async function deleteBehindTheCache(id: string): Promise<void> {
  expect((await store.deleteWhere('apiKeys', { id })).map((k) => k.id)).toEqual([id]);
}

async function insertNotification(id: string, payload: string, createdAt: Date): Promise<void> {
  await store.insert('notifications', { id, channel: KEYS_REMOVED, payload, createdAt: createdAt.toISOString() });
}

describe('key invalidation', () => {
  it('serves a cached key without reading the database again', async () => {
    await warm(admin.key, admin.secret);
    await deleteBehindTheCache(admin.key);
    // The row is gone but nothing said so: the cache still answers, which is why removals publish.
    expect((await authenticateKey(ctx, admin.key, admin.secret)).ok).toBe(true);
  });

  it('forgets a key as soon as removeApiKeys commits, and refuses it on the next call', async () => {
    await warm(admin.key, admin.secret);
    const removed = await store.transaction((tx) => removeApiKeys(ctx, tx, { id: admin.key }));
    expect(removed).toEqual([admin.key]);
    expect(cached(admin.key)).toBe(false);
    expect(await authenticateKey(ctx, admin.key, admin.secret)).toEqual({ ok: false, reason: 'invalid_credentials' });
    const stored = await store.list('notifications', { channel: KEYS_REMOVED }, { limit: 10 });
    expect(stored.items.map((n) => n.payload)).toEqual([admin.key]);
  });

  it('keeps the key cached when the removing transaction rolls back', async () => {
    await warm(admin.key, admin.secret);
    await expect(
      store.transaction(async (tx) => {
        await removeApiKeys(ctx, tx, { id: admin.key });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(cached(admin.key)).toBe(true);
    expect(await store.get('apiKeys', admin.key)).toBeDefined();
    expect(await store.count('notifications', {})).toBe(0);
  });

  it('resync() picks up a notification whose live message was lost, and forgets the key', async () => {
    await warm(admin.key, admin.secret);
    await deleteBehindTheCache(admin.key);
    await insertNotification('lost-1', `SOMEOTHERKEY0001,${admin.key}`, new Date(now.getTime() - 1_000));
    expect(cached(admin.key)).toBe(true);
    await invalidation.resync();
    expect(cached(admin.key)).toBe(false);
    expect((await authenticateKey(ctx, admin.key, admin.secret)).ok).toBe(false);
  });

  it('a second resync does not process the same notification again', async () => {
    await insertNotification('lost-1', admin.key, new Date(now.getTime() - 1_000));
    const forget = vi.spyOn(ctx.keys, 'forget');
    await invalidation.resync();
    expect(forget).toHaveBeenCalledTimes(1);
    expect(forget).toHaveBeenLastCalledWith([admin.key]);

    await warm(admin.key, admin.secret);
    now = new Date(now.getTime() + 5_000);
    await invalidation.resync();
    expect(forget).toHaveBeenCalledTimes(1);
    expect(cached(admin.key)).toBe(true);

    // A notification that arrives later is still picked up, once.
    await insertNotification('lost-2', admin.key, new Date(now.getTime() - 1_000));
    await invalidation.resync();
    await invalidation.resync();
    expect(forget).toHaveBeenCalledTimes(2);
    expect(cached(admin.key)).toBe(false);
  });

  it('reads notifications from up to overlapMs ago, for late commits and clock skew', async () => {
    await warm(admin.key, admin.secret);
    await insertNotification('too-old', admin.key, new Date(now.getTime() - options.overlapMs - 1));
    await invalidation.resync();
    expect(cached(admin.key)).toBe(true);
    await insertNotification('skewed', admin.key, new Date(now.getTime() - options.overlapMs + 1_000));
    await invalidation.resync();
    expect(cached(admin.key)).toBe(false);
  });

  it('deletes notifications older than the retention and keeps younger ones', async () => {
    await insertNotification('expired', 'EXPIREDKEY000001', new Date(now.getTime() - options.retentionMs - 1));
    await insertNotification('young', 'YOUNGKEY00000001', new Date(now.getTime() - options.retentionMs + 1_000));
    await invalidation.resync();
    const left = await store.list('notifications', {}, { limit: 10 });
    expect(left.items.map((n) => n.id)).toEqual(['young']);
    now = new Date(now.getTime() + 2_000);
    await invalidation.resync();
    expect(await store.count('notifications', {})).toBe(0);
  });

  it('runs one read at a time: overlapping resync() calls share it', async () => {
    await insertNotification('lost-1', admin.key, new Date(now.getTime() - 1_000));
    const list = vi.spyOn(store, 'list');
    const first = invalidation.resync();
    const second = invalidation.resync();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    expect(list).toHaveBeenCalledTimes(1);
  });

  it('reports a failed resync through onError instead of rejecting', async () => {
    invalidation.stop();
    const errors: unknown[] = [];
    const onError = (error: unknown) => {
      errors.push(error);
    };
    invalidation = startKeyInvalidation(ctx, { ...options, onError });
    vi.spyOn(store, 'list').mockRejectedValueOnce(new Error('database gone'));
    // Resolves: a failed read is reported, and the next interval tries again.
    await invalidation.resync();
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('database gone');
  });

  it('stops listening after stop(): a later removal no longer reaches this cache', async () => {
    await warm(admin.key, admin.secret);
    invalidation.stop();
    await store.transaction((tx) => removeApiKeys(ctx, tx, { id: admin.key }));
    expect(cached(admin.key)).toBe(true);
    invalidation = startKeyInvalidation(ctx, options);
    await invalidation.resync();
    expect(cached(admin.key)).toBe(false);
  });
});
