import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { CONSOLE_SESSION_IDENTIFIER } from '../audit/authentication.js';
import { type AuditDraft, type AuditResult, MANAGEMENT_EVENT_TYPE, type RequestMetadata } from '../audit/cloud-event.js';
import { badField, KeyplaneError } from '../domain/errors.js';
import type { User } from '../storage/schema.js';
import type { Store } from '../storage/store.js';
import { principalName } from './access.js';
import { withAuditEvents } from './audit-log.js';
import type { AuthenticationEvent } from './authentication-events.js';
import type { ServiceContext, SessionActor } from './context.js';
import { checkPassword, hashPassword, verifyPassword } from './passwords.js';
import { derivedKey, type Peppers } from './secret-hasher.js';

/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
/** …and this long after sign-in, whatever its use. */
export const SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60 * 1000;
/** A session's last-seen time is written at most this often: a request within it writes nothing. */
export const LAST_SEEN_RESOLUTION_MS = 60 * 1000;

const TOKEN_BYTES = 32;
/** 32 bytes in base64url, unpadded. */
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The key session tokens, CSRF tokens and invitation links are hashed with: derived from the
 * first pepper (which rotation keeps), so sessions survive restarts and hold on every node.
 */
export function consoleKey(peppers: Peppers): KeyObject {
  return derivedKey(peppers, 'keyplane console v1');
}

/** A keyed hash of a token for one purpose; what is stored or compared, never the token. */
export function keyedHash(ctx: Pick<ServiceContext, 'consoleKey'>, purpose: 'session' | 'csrf' | 'invitation', token: string): string {
  return createHmac('sha256', ctx.consoleKey).update(`${purpose}\0${token}`).digest('base64url');
}

export function newToken(ctx: Pick<ServiceContext, 'randomBytes'>): string {
  return Buffer.from(ctx.randomBytes(TOKEN_BYTES)).toString('base64url');
}

export function isToken(value: string): boolean {
  return TOKEN_RE.test(value);
}

/** What a signed-in browser holds: the cookie's token and the CSRF token its scripts send. */
export interface SignedIn {
  token: string;
  csrfToken: string;
  user: User;
  expiresAt: string;
  /** For the cookie's Max-Age: until the session's absolute end. */
  maxAgeSeconds: number;
}

export interface ResolvedSession {
  actor: SessionActor;
  user: User;
  csrfToken: string;
  expiresAt: string;
}

export type SignInResult = { ok: true; session: SignedIn } | { ok: false; reason: 'invalid_credentials' };

function report(ctx: ServiceContext, clientAddress: string | undefined, outcome: { user: User } | { reason: string; user?: User | undefined }): void {
  const event: AuthenticationEvent = {
    time: ctx.now().getTime(),
    outcome: 'reason' in outcome ? 'failure' : 'success',
    reason: 'reason' in outcome ? outcome.reason : undefined,
    keyId: undefined,
    principalId: outcome.user?.id,
    resource: undefined,
    clientAddress,
    via: 'console',
  };
  ctx.authentications.authenticated(event);
}

/** Records a sign-in made otherwise than with a password (accepting an invitation). */
export function reportConsoleSignIn(ctx: ServiceContext, clientAddress: string | undefined, user: User): void {
  report(ctx, clientAddress, { user });
}

/** Records a sign-in refused before any password was checked (throttled), as the audit log wants every refusal. */
export function reportRefusedSignIn(ctx: ServiceContext, clientAddress: string | undefined, reason: string): void {
  report(ctx, clientAddress, { reason });
}

/**
 * Signs a user in by email and password. An unknown email, a user without a password and a
 * wrong password give one answer, after the same work (see verifyPassword).
 */
export async function signIn(ctx: ServiceContext, email: string, password: string, clientAddress?: string): Promise<SignInResult> {
  const user = await ctx.store.find('users', { email: email.trim().toLowerCase() });
  const ok = await verifyPassword(password, user?.passwordHash);
  if (!ok || !user) {
    report(ctx, clientAddress, { reason: 'invalid_credentials', user });
    return { ok: false, reason: 'invalid_credentials' };
  }
  const session = await startSession(ctx, ctx.store, user);
  report(ctx, clientAddress, { user });
  return { ok: true, session };
}

/** A new session for `user`, within `store` (a transaction's, when the caller has one). */
export async function startSession(ctx: ServiceContext, store: Store, user: User): Promise<SignedIn> {
  const token = newToken(ctx);
  const now = ctx.now();
  // The idle limit is the shorter: a new session ends first by it.
  const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS).toISOString();
  // A user's ended sessions go when the user next signs in; nothing else reads them.
  await store.deleteWhere('consoleSessions', { userId: user.id, before: { expiresAt: now.toISOString() } });
  await store.insert('consoleSessions', {
    id: keyedHash(ctx, 'session', token),
    userId: user.id,
    createdAt: now.toISOString(),
    lastSeenAt: now.toISOString(),
    expiresAt,
  });
  return { token, csrfToken: keyedHash(ctx, 'csrf', token), user, expiresAt, maxAgeSeconds: SESSION_ABSOLUTE_MS / 1000 };
}

/**
 * The session a cookie's token names, when it has not ended; refreshes its last-seen time (at
 * most once a minute). An ended session is deleted when it is presented.
 */
export async function resolveSession(ctx: ServiceContext, token: string): Promise<ResolvedSession | undefined> {
  if (!isToken(token)) return undefined;
  const id = keyedHash(ctx, 'session', token);
  const row = await ctx.store.get('consoleSessions', id);
  if (!row) return undefined;
  const now = ctx.now();
  const user = row.expiresAt > now.toISOString() ? await ctx.store.get('users', row.userId) : undefined;
  if (!user) {
    await ctx.store.delete('consoleSessions', id);
    return undefined;
  }
  let { expiresAt } = row;
  if (now.getTime() - Date.parse(row.lastSeenAt) >= LAST_SEEN_RESOLUTION_MS) {
    const end = Date.parse(row.createdAt) + SESSION_ABSOLUTE_MS;
    expiresAt = new Date(Math.min(end, now.getTime() + SESSION_IDLE_MS)).toISOString();
    await ctx.store.update('consoleSessions', id, { lastSeenAt: now.toISOString(), expiresAt });
  }
  return {
    actor: { via: 'session', principalId: user.id, principalKind: 'User', sessionId: id },
    user,
    csrfToken: keyedHash(ctx, 'csrf', token),
    expiresAt,
  };
}

/** Whether `sent` is `expected`, a session's CSRF token (ResolvedSession.csrfToken); compared in constant time. */
export function sameCsrfToken(expected: string, sent: string | undefined): boolean {
  const wanted = Buffer.from(expected);
  const given = Buffer.from(sent ?? '');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Whether `sent` is the CSRF token of the session `token`; compared in constant time. */
export function csrfTokenMatches(ctx: Pick<ServiceContext, 'consoleKey'>, token: string, sent: string | undefined): boolean {
  return sameCsrfToken(keyedHash(ctx, 'csrf', token), sent);
}

/** Whether the session (by its stored id) still exists and has not ended. */
export async function sessionIsLive(ctx: ServiceContext, sessionId: string): Promise<boolean> {
  const row = await ctx.store.get('consoleSessions', sessionId);
  return row !== undefined && row.expiresAt > ctx.now().toISOString();
}

/**
 * Deletes the sessions that have ended by `now`. A session is also deleted when it is presented
 * after its end; this catches the ones that never are. Returns how many went.
 */
export async function deleteEndedSessions(store: Store, now: Date): Promise<number> {
  return (await store.deleteWhere('consoleSessions', { before: { expiresAt: now.toISOString() } })).length;
}

/** The audit record of a console call the signed-in user made on their own account. */
function consoleEvent(
  ctx: ServiceContext,
  actor: SessionActor,
  methodName: 'SignOut' | 'ChangePassword',
  path: string,
  request: RequestMetadata,
  result: AuditResult,
): AuditDraft {
  return {
    type: MANAGEMENT_EVENT_TYPE,
    time: ctx.now().getTime(),
    data: {
      serviceName: ctx.crn.organization(),
      methodName,
      resourceName: ctx.crn.user(actor.principalId),
      authenticationInfo: {
        principal: principalName(actor.principalId),
        metadata: { mechanism: 'CONSOLE_SESSION', identifier: CONSOLE_SESSION_IDENTIFIER },
      },
      requestMetadata: request,
      request: { method: 'POST', path },
      result,
    },
  };
}

/** Writes a console call's record, with the change it records when there is one, in one transaction. */
function recordConsoleCall(ctx: ServiceContext, draft: AuditDraft, change: (tx: Store) => Promise<void> = async () => {}): Promise<void> {
  return withAuditEvents(ctx, async (tx) => {
    await change(tx);
    return { result: undefined, drafts: [draft] };
  });
}

export async function signOut(ctx: ServiceContext, actor: SessionActor, request: RequestMetadata = {}): Promise<void> {
  const draft = consoleEvent(ctx, actor, 'SignOut', '/console/v1/sign-out', request, { status: 'SUCCESS', httpStatus: 204 });
  await recordConsoleCall(ctx, draft, async (tx) => {
    await tx.delete('consoleSessions', actor.sessionId);
  });
}

/** Ends every session of a user but `keep` (a stored id), within the caller's transaction. */
export async function endUserSessions(store: Store, userId: string, keep?: string): Promise<void> {
  const kept = keep === undefined ? undefined : await store.get('consoleSessions', keep);
  await store.deleteWhere('consoleSessions', { userId });
  if (kept && kept.userId === userId) await store.insert('consoleSessions', kept);
}

/**
 * Changes the signed-in user's password when `current` is right; every other session of the
 * user ends in the same transaction. A wrong current password is a 400 naming it. `session` is
 * the one resolveSession gave, with the user it read.
 */
export async function changePassword(
  ctx: ServiceContext,
  session: Pick<ResolvedSession, 'actor' | 'user'>,
  current: string,
  next: string,
  request: RequestMetadata = {},
): Promise<{ ok: boolean }> {
  checkPassword('/new_password', next);
  const path = '/console/v1/password';
  const { actor, user } = session;
  if (!(await verifyPassword(current, user.passwordHash))) {
    const refused = { status: 'FAILURE', httpStatus: 400, errorCode: 'bad_request', message: 'wrong current password' } as const;
    await recordConsoleCall(ctx, consoleEvent(ctx, actor, 'ChangePassword', path, request, refused));
    return { ok: false };
  }
  const passwordHash = await hashPassword(next, ctx.randomBytes);
  await recordConsoleCall(ctx, consoleEvent(ctx, actor, 'ChangePassword', path, request, { status: 'SUCCESS', httpStatus: 204 }), async (tx) => {
    const updated = await tx.update('users', user.id, { passwordHash, updatedAt: ctx.now().toISOString() });
    if (!updated) throw new KeyplaneError('user_not_found', `User '${user.id}' was not found`);
    await endUserSessions(tx, user.id, actor.sessionId);
  });
  return { ok: true };
}

/**
 * The recovery path, for someone with access to the database (`keyplane server set-password`):
 * sets the password of the user with `email` and ends all of that user's sessions, in one
 * transaction.
 */
export async function setPasswordByEmail(store: Store, email: string, password: string, now: Date = new Date()): Promise<User> {
  checkPassword('/password', password);
  const passwordHash = await hashPassword(password);
  return store.transaction(async (tx) => {
    const user = await tx.find('users', { email: email.trim().toLowerCase() });
    if (!user) throw new KeyplaneError('user_not_found', `There is no user with the email '${email.trim()}'`);
    await tx.update('users', user.id, { passwordHash, updatedAt: now.toISOString() });
    await endUserSessions(tx, user.id);
    return user;
  });
}

export function wrongCurrentPassword(): KeyplaneError {
  return badField('/current_password', '/current_password is not the current password');
}
