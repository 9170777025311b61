import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultQuotaLimits } from '../domain/quotas.js';
import { openSqliteStore } from '../storage/sqlite/open-sqlite.js';
import type { Store } from '../storage/store.js';
import type { AuthenticationEvent } from './authentication-events.js';
import { authenticateKey, checkSecret } from './authenticate.js';
import { bootstrap } from './bootstrap.js';
import { createContext, type ServiceContext } from './context.js';
import { createSecretHasher } from './secret-hasher.js';

let store: Store;
let ctx: ServiceContext;
let admin: { key: string; secret: string };
const events: AuthenticationEvent[] = [];

beforeEach(async () => {
  store = await openSqliteStore(':memory:');
  const deps = { store, hasher: createSecretHasher({ current: 1, keys: new Map([[1, randomBytes(32)]]) }), quotas: defaultQuotaLimits() };
  const boot = await bootstrap(deps, { adminEmail: 'admin@example.com' });
  admin = { key: boot.initialCredentials!.key, secret: boot.initialCredentials!.secret };
  events.length = 0;
  ctx = createContext({ ...deps, authentications: { authenticated: (e) => events.push(e) } }, boot.organization.id);
});

afterEach(async () => {
  await store.close();
});

describe('checkSecret', () => {
  it('verifies the stored HMAC once, then answers from the cache by fingerprint, synchronously', async () => {
    const verify = vi.spyOn(ctx.hasher, 'verify');
    const first = checkSecret(ctx, admin.key, admin.secret);
    expect(first).toBeInstanceOf(Promise);
    expect((await first)?.id).toBe(admin.key);
    expect(verify).toHaveBeenCalledTimes(1);
    const read = vi.spyOn(store, 'get');
    const again = checkSecret(ctx, admin.key, admin.secret);
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as { id: string }).id).toBe(admin.key);
    expect(checkSecret(ctx, admin.key, `${admin.secret.slice(0, -1)}x`)).toBeNull();
    expect(verify).toHaveBeenCalledTimes(1);
    expect(read).not.toHaveBeenCalled();
  });

  it('does not remember a wrong secret: the right one still verifies after it', async () => {
    expect(await checkSecret(ctx, admin.key, 'cflt-wrong')).toBeNull();
    expect((await checkSecret(ctx, admin.key, admin.secret))?.id).toBe(admin.key);
  });

  it('answers an unknown or malformed id as a wrong secret, reading the store once per unknown id', async () => {
    const read = vi.spyOn(store, 'get');
    expect(await checkSecret(ctx, 'ZZZZZZZZZZZZZZZZ', admin.secret)).toBeNull();
    expect(await checkSecret(ctx, 'ZZZZZZZZZZZZZZZZ', admin.secret)).toBeNull();
    expect(await checkSecret(ctx, 'not a key', admin.secret)).toBeNull();
    expect(read).toHaveBeenCalledTimes(1);
  });
});

describe('authenticateKey', () => {
  it('reports each outcome with the key id and, once the secret was right, the owner', async () => {
    await authenticateKey(ctx, admin.key, admin.secret, { via: 'management', clientAddress: '192.0.2.1' });
    await authenticateKey(ctx, admin.key, 'wrong', { via: 'management' });
    await authenticateKey(ctx, 'lower-case-nonsense', 'x', { via: 'management' });
    expect(events).toEqual([
      expect.objectContaining({ outcome: 'success', keyId: admin.key, principalId: expect.stringMatching(/^u-/), clientAddress: '192.0.2.1' }),
      expect.objectContaining({ outcome: 'failure', keyId: admin.key, principalId: undefined, reason: 'invalid_credentials' }),
      expect.objectContaining({ outcome: 'failure', keyId: undefined, reason: 'invalid_credentials' }),
    ]);
    expect(JSON.stringify(events)).not.toContain(admin.secret);
  });
});
