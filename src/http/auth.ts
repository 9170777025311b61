import type { MiddlewareHandler } from 'hono';
import { KeyplaneError } from '../domain/errors.js';
import { isApiKeyId } from '../domain/ids.js';
import { keyScopes } from '../domain/resources.js';
import { type Authentication, authenticateManagement, reportAuthentication } from '../services/authenticate.js';
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

/**
 * Management endpoints: HTTP Basic with a Cloud or Global API key of an existing principal.
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
    if (!header) {
      limitAddress(c);
      refused('missing_credentials');
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
