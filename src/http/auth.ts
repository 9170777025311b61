import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { KeyplaneError } from '../domain/errors.js';
import { isApiKeyId } from '../domain/ids.js';
import { keyScopes } from '../domain/resources.js';
import { type Authentication, authenticateManagement, reportAuthentication } from '../services/authenticate.js';
import { type ResolvedSession, resolveSession, type SignedIn, sameCsrfToken } from '../services/console-sessions.js';
import { limitAddress, limitPrincipal, peerAddress, reserveAuthenticationAttempt, sourceAddress } from './rate-limit.js';
import type { AppEnv } from './types.js';

export const WWW_AUTHENTICATE = 'Basic realm="Keyplane", charset="UTF-8"';

const BASIC_RE = /^basic\s+[A-Za-z0-9+/=_-]+\s*$/i;

/** Splits `Authorization: Basic base64(key:secret)`; undefined when the header is not that. */
export function parseBasic(header: string | undefined): { key: string; secret: string } | undefined {
  // Tested without a capturing match: this runs twice on every data-plane request.
  if (!header || !BASIC_RE.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { key: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function unauthenticated(detail: string): KeyplaneError {
  return new KeyplaneError('user_unauthenticated', detail);
}

export const SESSION_COOKIE = 'keyplane_session';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A 401 that carries no Basic challenge, so a browser's script gets it without a login dialog. */
export function notSignedIn(detail = 'Sign in to the console first'): KeyplaneError {
  return new KeyplaneError('session_invalid', detail);
}

function secureCookies(c: Context<AppEnv>): boolean {
  return c.get('http').publicUrl.startsWith('https:');
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/, Secure behind an https public URL. */
export function setSessionCookie(c: Context<AppEnv>, session: Pick<SignedIn, 'token' | 'maxAgeSeconds'>): void {
  setCookie(c, SESSION_COOKIE, session.token, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure: secureCookies(c),
    maxAge: session.maxAgeSeconds,
  });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: 'Strict', path: '/', secure: secureCookies(c) });
}

/**
 * A request whose Origin (when it sends one) is neither this request's own origin nor the public
 * URL's is refused: a cookie alone must never carry another site's request.
 */
function checkOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header('origin');
  if (origin === undefined) return;
  if (origin === new URL(c.req.url).origin || origin === new URL(c.get('http').publicUrl).origin) return;
  throw new KeyplaneError('csrf_token_invalid', 'The request comes from another origin than this server');
}

/**
 * The console session the cookie names, with its token. Refused: no cookie or an ended session
 * (401, and the cookie is cleared), a foreign Origin (403), and, with `csrf`, a method other than
 * GET/HEAD/OPTIONS without the session's X-CSRF-Token (403).
 */
export async function requireSession(c: Context<AppEnv>, { csrf }: { csrf: boolean }): Promise<{ session: ResolvedSession; token: string }> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) {
    limitAddress(c);
    throw notSignedIn();
  }
  checkOrigin(c);
  const session = await resolveSession(c.get('services'), token);
  if (!session) {
    limitAddress(c);
    clearSessionCookie(c);
    throw notSignedIn('The console session has ended; sign in again');
  }
  if (csrf && !SAFE_METHODS.has(c.req.method) && !sameCsrfToken(session.csrfToken, c.req.header('x-csrf-token'))) {
    limitPrincipal(c, session.actor.principalId);
    throw new KeyplaneError('csrf_token_invalid', 'A change made with the console session needs its X-CSRF-Token header');
  }
  return { session, token };
}

/**
 * A request from a page's script, which a Basic challenge would turn into the browser's login
 * dialog: browsers send Sec-Fetch-Site (to https and localhost origins), and the console sends
 * X-Requested-With. Other clients (Node's fetch too) send neither.
 */
function fromBrowserScript(c: Context<AppEnv>): boolean {
  return c.req.header('sec-fetch-site') !== undefined || c.req.header('x-requested-with') !== undefined;
}

/**
 * Management endpoints: HTTP Basic with a Cloud or Global API key of an existing principal, or,
 * without an Authorization header, the console's session cookie (with X-CSRF-Token for changes).
 * Failed authentications are throttled by source address and key id before any secret is
 * checked; an authenticated request counts against its principal, one that is not against its
 * address (src/http/rate-limit.ts).
 */
export function requireManagementKey(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Refusals before any secret is checked are authentication failures too, for the audit log.
    const refused = (reason: string, keyId = '') =>
      reportAuthentication(c.get('services'), { via: 'management', clientAddress: peerAddress(c) }, keyId, { reason });
    const header = c.req.header('authorization');
    if (!header && getCookie(c, SESSION_COOKIE) !== undefined) {
      const { session } = await requireSession(c, { csrf: true });
      c.set('actor', session.actor);
      limitPrincipal(c, session.actor.principalId);
      await next();
      return;
    }
    if (!header) {
      limitAddress(c);
      refused('missing_credentials');
      if (fromBrowserScript(c)) throw notSignedIn();
      throw unauthenticated('Valid authentication credentials must be provided: HTTP Basic with a Cloud API key and secret');
    }
    const credentials = parseBasic(header);
    if (!credentials) {
      limitAddress(c);
      refused('malformed_credentials');
      throw unauthenticated('The Authorization header must be HTTP Basic: base64 of "<api key>:<secret>"');
    }
    // Only an id that could exist is a guess at a key; any other string counts against the address alone.
    const keyId = isApiKeyId(credentials.key) ? credentials.key : undefined;
    const attempt = await reserveAuthenticationAttempt(c, keyId).catch((error: unknown) => {
      refused('too_many_attempts', keyId);
      throw error;
    });
    let result: Authentication;
    try {
      result = await authenticateManagement(c.get('services'), credentials.key, credentials.secret, sourceAddress(c));
    } catch (error) {
      // Not an answer about the secret (the database is down, say): not a failed attempt.
      attempt.finish({ failed: false });
      throw error;
    }
    // A key of the wrong scope had its secret right: nothing was guessed.
    attempt.finish({ failed: !result.ok && result.reason === 'invalid_credentials' });
    if (!result.ok) {
      if (result.reason === 'not_a_management_key') {
        limitAddress(c);
        const scope = keyScopes[result.scope!];
        throw unauthenticated(
          `API key ${result.keyId} is scoped to a ${result.scope} resource (${scope.apiVersion}); the management API needs a Cloud API key`,
        );
      }
      limitAddress(c);
      throw unauthenticated('The API key or secret is not valid');
    }
    c.set('actor', result.actor);
    limitPrincipal(c, result.actor.principalId);
    await next();
  };
}
