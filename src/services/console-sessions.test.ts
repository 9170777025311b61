import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultQuotaLimits } from '../domain/quotas.js';
import { openSqliteStore } from '../storage/sqlite/open-sqlite.js';
import type { Store } from '../storage/store.js';
import type { AuthenticationEvent } from './authentication-events.js';
import { bootstrap } from './bootstrap.js';
import {
  consoleKey,
  csrfTokenMatches,
  deleteEndedSessions,
  endUserSessions,
  LAST_SEEN_RESOLUTION_MS,
  resolveSession,
  SESSION_IDLE_MS,
  signIn,
} from './console-sessions.js';
import { createContext, type ServiceContext } from './context.js';
import { createSecretHasher } from './secret-hasher.js';

const PASSWORD = 'admin-password-123';
let store: Store;
let ctx: ServiceContext;
let adminId: string;
let clock: number;
const events: AuthenticationEvent[] = [];

beforeEach(async () => {
  store = await openSqliteStore(':memory:');
  const deps = { store, hasher: createSecretHasher({ current: 1, keys: new Map([[1, randomBytes(32)]]) }), quotas: defaultQuotaLimits() };
  const boot = await bootstrap(deps, { adminEmail: 'admin@example.com', bootstrapPassword: PASSWORD });
  adminId = boot.initialCredentials!.adminId;
  clock = Date.parse('2026-01-01T00:00:00Z');
  events.length = 0;
  ctx = createContext({ ...deps, now: () => new Date(clock), authentications: { authenticated: (e) => events.push(e) } }, boot.organization.id);
});

afterEach(async () => {
  await store.close();
});

async function signedIn() {
  const result = await signIn(ctx, ' Admin@Example.com ', PASSWORD, '192.0.2.7');
  if (!result.ok) throw new Error('sign-in failed');
  return result.session;
}

describe('console sessions', () => {
  it('stores only a keyed hash of the token, and reports the sign-in without it', async () => {
    const session = await signedIn();
    const rows = await store.list('consoleSessions', {}, { limit: 10 });
    expect(rows.items).toHaveLength(1);
    expect(rows.items[0]!.id).not.toContain(session.token);
    expect(JSON.stringify(rows.items)).not.toContain(session.token);
    expect(events).toEqual([
      expect.objectContaining({ outcome: 'success', principalId: adminId, via: 'console', clientAddress: '192.0.2.7', keyId: undefined }),
    ]);
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
  });

  it('reports a wrong password and an unknown email alike, naming the user only when there is one', async () => {
    expect(await signIn(ctx, 'admin@example.com', 'wrong-password-1')).toEqual({ ok: false, reason: 'invalid_credentials' });
    expect(await signIn(ctx, 'nobody@example.com', PASSWORD)).toEqual({ ok: false, reason: 'invalid_credentials' });
    expect(events.map((e) => [e.outcome, e.reason, e.principalId])).toEqual([
      ['failure', 'invalid_credentials', adminId],
      ['failure', 'invalid_credentials', undefined],
    ]);
  });

  it('writes the last-seen time at most once a minute and moves the idle end with it', async () => {
    const session = await signedIn();
    const first = (await store.get('consoleSessions', (await resolveSession(ctx, session.token))!.actor.sessionId))!;
    clock += LAST_SEEN_RESOLUTION_MS - 1;
    const soon = await resolveSession(ctx, session.token);
    expect((await store.get('consoleSessions', soon!.actor.sessionId))!.lastSeenAt).toBe(first.lastSeenAt);
    clock += 1;
    const later = await resolveSession(ctx, session.token);
    const row = (await store.get('consoleSessions', later!.actor.sessionId))!;
    expect(row.lastSeenAt).toBe(new Date(clock).toISOString());
    expect(row.expiresAt).toBe(new Date(clock + SESSION_IDLE_MS).toISOString());
    expect(later!.expiresAt).toBe(row.expiresAt);
  });

  it('deletes an ended session when it is presented', async () => {
    const session = await signedIn();
    clock += SESSION_IDLE_MS;
    expect(await resolveSession(ctx, session.token)).toBeUndefined();
    expect(await store.count('consoleSessions', {})).toBe(0);
  });

  it('sweeps the sessions that ended without being presented again, and only those', async () => {
    const ended = await signedIn();
    clock += SESSION_IDLE_MS / 2;
    const live = await signedIn();
    clock += SESSION_IDLE_MS / 2 + 1;
    expect(await deleteEndedSessions(store, new Date(clock))).toBe(1);
    expect(await store.count('consoleSessions', {})).toBe(1);
    expect(await resolveSession(ctx, live.token)).toBeDefined();
    expect(await resolveSession(ctx, ended.token)).toBeUndefined();
  });

  it('refuses malformed and unknown tokens without a lookup error', async () => {
    await signedIn();
    for (const token of ['', 'x', 'A'.repeat(43), `${'A'.repeat(42)}=`, 'A'.repeat(10_000)]) {
      expect(await resolveSession(ctx, token)).toBeUndefined();
    }
  });

  it("matches a session's CSRF token only", async () => {
    const a = await signedIn();
    const b = await signedIn();
    expect(csrfTokenMatches(ctx, a.token, a.csrfToken)).toBe(true);
    expect(csrfTokenMatches(ctx, a.token, b.csrfToken)).toBe(false);
    expect(csrfTokenMatches(ctx, a.token, undefined)).toBe(false);
    expect(csrfTokenMatches(ctx, a.token, a.token)).toBe(false);
  });

  it('ends all of a user’s sessions but the one kept', async () => {
    const a = await signedIn();
    const b = await signedIn();
    const kept = (await resolveSession(ctx, a.token))!.actor.sessionId;
    await store.transaction((tx) => endUserSessions(tx, adminId, kept));
    expect(await resolveSession(ctx, a.token)).toBeDefined();
    expect(await resolveSession(ctx, b.token)).toBeUndefined();
    await store.transaction((tx) => endUserSessions(tx, adminId));
    expect(await resolveSession(ctx, a.token)).toBeUndefined();
  });
});

describe('consoleKey', () => {
  it('comes from the first pepper, so rotation keeps sessions, and differs from the pepper itself', () => {
    const first = randomBytes(32);
    const key = consoleKey({ current: 1, keys: new Map([[1, first]]) }).export();
    expect(consoleKey({ current: 2, keys: new Map([[2, randomBytes(32)], [1, first]]) }).export()).toEqual(key);
    expect(key.equals(first)).toBe(false);
    expect(consoleKey({ current: 1, keys: new Map([[1, randomBytes(32)]]) }).export()).not.toEqual(key);
  });
});
