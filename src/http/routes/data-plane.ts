import { isIP } from 'node:net';
import type { Context } from 'hono';
import { z } from 'zod';
import { KeyplaneError } from '../../domain/errors.js';
import { principalName } from '../../services/access.js';
import { decideForKey, parseResource, RESOURCE_FORMS, type Verification } from '../../services/verify-credentials.js';
import type { Api } from '../api.js';
import { parseBasic } from '../auth.js';
import { readJson } from '../body.js';
import {
  answerNginx,
  CLIENT_ADDRESS_HEADER,
  type Credentials,
  checkDataPlaneCall,
  RESOURCE_HEADER,
  VERIFIER_HEADER,
} from '../data-plane.js';
import { failureBody } from '../failure.js';
import { peerAddress } from '../rate-limit.js';
import type { AppEnv } from '../types.js';

const TAG = 'Data plane (v1)';

const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const verifyBody = z.object({
  key: text(128).optional(),
  secret: text(512).optional(),
  resource: text(255),
  operation: text(128).optional(),
  resource_crn: text(1024).optional(),
  client_address: text(64)
    .refine((address) => isIP(address) !== 0, 'must be an IP address')
    .optional(),
});

export function registerDataPlaneRoutes(api: Api): void {
  api.route(
    {
      method: 'post',
      path: '/v1/verify',
      summary: "Verify an API key and secret for a resource, and optionally its owner's access to an operation",
      tag: TAG,
      body: verifyBody,
      responses: { 200: '`valid: true` with the principal and key, or `valid: false` with the reason' },
      authenticated: 'verifier',
    },
    async (c) => {
      const body = await readJson(c, verifyBody);
      const { verifier, credentials } = verifyCredentialsOf(c, body);
      const resource = parseResource(body.resource);
      if (!resource) {
        throw new KeyplaneError('bad_request', `/resource: '${body.resource}' names no resource; expected ${RESOURCE_FORMS}`, {
          source: { pointer: '/resource' },
        });
      }
      if ((body.operation === undefined) !== (body.resource_crn === undefined)) {
        const missing = body.operation === undefined ? 'operation' : 'resource_crn';
        throw new KeyplaneError('bad_request', `/${missing}: operation and resource_crn go together`, { source: { pointer: `/${missing}` } });
      }
      const verification = await checkDataPlaneCall(c.get('services'), c.get('rateLimits'), {
        resource,
        verifier,
        credentials,
        socketAddress: peerAddress(c),
        clientAddress: body.client_address,
        via: 'verify',
      });
      if (!verification.valid) return c.json({ valid: false, reason: verification.reason, detail: verification.detail, resource: resource.name });
      const body200 = presentVerification(verification);
      if (body.operation !== undefined && body.resource_crn !== undefined) {
        const host = body.client_address ?? peerAddress(c);
        const decision = await decideForKey(c.get('services'), verification, body.operation, body.resource_crn, host);
        return c.json({
          ...body200,
          authorization: {
            operation: body.operation,
            resource_crn: body.resource_crn,
            allowed: decision.allowed,
            reason: decision.reason,
            detail: decision.detail,
            ...(decision.binding ? { binding: { id: decision.binding.id, role_name: decision.binding.roleName, crn_pattern: decision.binding.crnPattern } } : {}),
            ...(decision.acl ? { acl: { id: decision.acl.id, permission: decision.acl.permission, operation: decision.acl.operation } } : {}),
          },
        });
      }
      return c.json(body200);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/v1/auth/nginx',
      summary: `For nginx auth_request: the client's Authorization checked for the resource in ${RESOURCE_HEADER}, by the verifier in ${VERIFIER_HEADER}`,
      tag: TAG,
      responses: { 200: 'Valid: X-Keyplane-Principal names the owner, X-Keyplane-Key the key' },
      authenticated: 'verifier',
    },
    async (c) => {
      const answer = await answerNginx(c.get('services'), c.get('rateLimits'), {
        authorization: c.req.header('authorization'),
        verifier: c.req.header(VERIFIER_HEADER),
        resource: c.req.header(RESOURCE_HEADER),
        clientAddress: c.req.header(CLIENT_ADDRESS_HEADER),
        socketAddress: peerAddress(c),
      });
      if (!answer.error) return c.body(null, answer.status, answer.headers);
      return c.json(failureBody(c.get('requestId'), answer.error, answer.status), answer.status, answer.headers);
    },
  );
}

/**
 * Who is who in a verify call. With `key` and `secret` in the body, the verifier authenticates
 * as usual (Authorization) or with X-Keyplane-Verifier; without them the key being checked is
 * the request's Authorization, and the verifier must use X-Keyplane-Verifier.
 */
function verifyCredentialsOf(c: Context<AppEnv>, body: z.output<typeof verifyBody>): { verifier: Credentials; credentials: Credentials } {
  const verifierHeader = c.req.header(VERIFIER_HEADER);
  if ((body.key === undefined) !== (body.secret === undefined)) {
    const missing = body.key === undefined ? 'key' : 'secret';
    throw new KeyplaneError('bad_request', `/${missing}: key and secret go together`, { source: { pointer: `/${missing}` } });
  }
  if (body.key !== undefined && body.secret !== undefined) {
    const verifier = parseBasic(verifierHeader ?? c.req.header('authorization'));
    if (!verifier) {
      throw new KeyplaneError('user_unauthenticated', 'The verifier must authenticate: HTTP Basic with an API key scoped to the resource, or a Cloud API key');
    }
    return { verifier, credentials: { key: body.key, secret: body.secret } };
  }
  const credentials = parseBasic(c.req.header('authorization'));
  if (!credentials) {
    throw new KeyplaneError('bad_request', '/key: the key to verify goes in the body (key and secret) or in Authorization as HTTP Basic', {
      source: { pointer: '/key' },
    });
  }
  const verifier = parseBasic(verifierHeader);
  if (!verifier) {
    throw new KeyplaneError('user_unauthenticated', `With the key to verify in Authorization, the verifier authenticates in ${VERIFIER_HEADER} (HTTP Basic)`, {
      source: { parameter: VERIFIER_HEADER },
    });
  }
  return { verifier, credentials };
}

function presentVerification(verification: Extract<Verification, { valid: true }>) {
  const { key, resource } = verification;
  return {
    valid: true,
    principal: { id: key.ownerId, kind: key.ownerKind, name: principalName(key.ownerId) },
    key: { id: key.id, scope: { kind: key.scopeKind, id: key.resourceId, environment: key.resourceEnvironmentId } },
    resource: resource.name,
  };
}
