import type { Context } from 'hono';
import { KeyplaneError } from '../../domain/errors.js';
import {
  getKeyUsage,
  getPrincipalUsage,
  type KeyUsage,
  USAGE_DAYS,
  type UsageWindow,
  usageWindow,
} from '../../services/key-usage.js';
import type { Api } from '../api.js';
import { booleanParam, queryParam } from '../body.js';
import { callerOf } from '../caller.js';
import type { AppEnv } from '../types.js';

const TAG = 'Audit log (Keyplane)';

/** `?force=true` on a DELETE the in-use guard may refuse; absent or `false` is no force. */
export const forceQuery = { name: 'force', description: 'true deletes even when the in-use guard finds keys used in the last 7 days' };

export function readForce(c: Context<AppEnv>): boolean {
  return booleanParam(c, 'force');
}

function readDays(c: Context<AppEnv>): number | undefined {
  const text = queryParam(c, 'days');
  if (text === undefined) return undefined;
  // Anything else (a sign, a fraction, too many digits) fails the range check in the service.
  return /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
}

const presentKey = (usage: KeyUsage) => ({
  key: usage.keyId,
  last_authenticated_at: usage.lastAuthenticatedAt,
  authentications: usage.authentications,
  failures: usage.failures,
});

const presentWindow = (window: UsageWindow) => ({ days: window.days, since: window.since });

export function registerKeyUsageRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/audit/v1/key-usage',
      summary: 'Is this key (or any key of this principal) in use? Answered from the audit log',
      tag: TAG,
      query: [
        { name: 'key', description: 'An API key id; give this or principal' },
        { name: 'principal', description: 'A user (u-…) or service account (sa-…): every key of it the caller may manage' },
        { name: 'days', description: `The window counted, in days: default ${USAGE_DAYS.default}, ${USAGE_DAYS.min} to ${USAGE_DAYS.max}` },
      ],
      responses: { 200: 'Last successful authentication, and successful and failed authentications in the window' },
    },
    async (c) => {
      const key = queryParam(c, 'key');
      const principal = queryParam(c, 'principal');
      if ((key === undefined) === (principal === undefined)) {
        throw new KeyplaneError('invalid_filter', 'Give exactly one of key and principal', {
          source: { parameter: key === undefined ? 'key' : 'principal' },
        });
      }
      const services = c.get('services');
      const window = usageWindow(services, readDays(c));
      const caller = await callerOf(c);
      if (key !== undefined) {
        const usage = await getKeyUsage(services, caller, key, window);
        return c.json({ api_version: 'audit/v1', kind: 'KeyUsage', window: presentWindow(window), ...presentKey(usage) });
      }
      const usage = await getPrincipalUsage(services, caller, principal!, window);
      return c.json({
        api_version: 'audit/v1',
        kind: 'PrincipalKeyUsage',
        window: presentWindow(window),
        principal: usage.principalId,
        last_authenticated_at: usage.lastAuthenticatedAt,
        authentications: usage.authentications,
        failures: usage.failures,
        keys: usage.keys.map(presentKey),
      });
    },
  );
}
