import type { CrnBuilders } from '../domain/crn.js';
import { principalName } from '../services/access.js';
import type { AuthenticationEvent } from '../services/authentication-events.js';
import { AUTHENTICATION_EVENT_TYPE, type AuditDraft } from './cloud-event.js';

/** The product a resource id names, as Confluent prefixes authentication method names. */
function productOf(resource: string): { method: string; segment: string } {
  if (resource.startsWith('lkc-')) return { method: 'kafka.Authentication', segment: 'kafka' };
  if (resource.startsWith('lsrc-')) return { method: 'schema-registry.Authentication', segment: 'schema-registry' };
  if (resource.startsWith('lksqlc-')) return { method: 'ksql.Authentication', segment: 'ksql' };
  if (resource === 'tableflow') return { method: 'tableflow.Authentication', segment: 'tableflow' };
  return { method: 'flink.Authentication', segment: 'flink-region' };
}

const mechanisms = { management: 'HTTP_BASIC', verify: 'KEYPLANE_VERIFY', nginx: 'NGINX_AUTH_REQUEST', console: 'CONSOLE_PASSWORD' } as const;

/** What a console sign-in's record names instead of a key: never the session's token or its hash. */
export const CONSOLE_SESSION_IDENTIFIER = 'console-session';

/** An authentication (management API or data plane, success or failure) as an audit record. */
export function authenticationDraft(crn: CrnBuilders, event: AuthenticationEvent): AuditDraft {
  const organization = crn.organization();
  const product = event.resource ? productOf(event.resource) : undefined;
  const resourceName = product ? `${organization}/${product.segment}=${event.resource}` : organization;
  const identifier = event.keyId ?? (event.via === 'console' ? CONSOLE_SESSION_IDENTIFIER : undefined);
  return {
    type: AUTHENTICATION_EVENT_TYPE,
    time: event.time,
    ...(event.keyId ? { keyId: event.keyId } : {}),
    data: {
      serviceName: resourceName,
      methodName: product?.method ?? 'cloud.Authentication',
      resourceName,
      authenticationInfo: {
        ...(event.principalId ? { principal: principalName(event.principalId) } : {}),
        metadata: { mechanism: mechanisms[event.via], ...(identifier ? { identifier } : {}) },
      },
      requestMetadata: event.clientAddress ? { clientAddress: event.clientAddress } : {},
      result: {
        status: event.outcome === 'success' ? 'SUCCESS' : 'FAILURE',
        ...(event.reason ? { message: event.reason } : {}),
      },
    },
  };
}
