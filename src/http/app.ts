import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { KeyplaneError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { ServiceContext } from '../services/context.js';
import { Api, openApiDocument } from './api.js';
import type { AuditRecording } from './audit.js';
import { WWW_AUTHENTICATE } from './auth.js';
import { fail, failure, unexpectedFailure } from './failure.js';
import { DATA_PLANE_PATHS, limitAddress, limitByAddress, RateLimits, rateLimiting } from './rate-limit.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerAuditEventRoutes } from './routes/audit-events.js';
import { registerConsoleInvitationRoutes } from './routes/console-invitations.js';
import { registerConsoleSessionRoutes } from './routes/console-session.js';
import { registerDataPlaneRoutes } from './routes/data-plane.js';
import { registerEnvironmentRoutes } from './routes/environments.js';
import { registerFlinkRegionRoutes } from './routes/flink-regions.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerInvitationRoutes } from './routes/invitations.js';
import { registerKeyUsageRoutes } from './routes/key-usage.js';
import { registerKafkaAclRoutes } from './routes/kafka-acls.js';
import { registerLeakRoutes } from './routes/leaks.js';
import { registerOrganizationRoutes } from './routes/organizations.js';
import { registerResourceRegistryRoutes } from './routes/resource-registry.js';
import { registerRoleBindingRoutes } from './routes/role-bindings.js';
import { registerServiceAccountRoutes } from './routes/service-accounts.js';
import { registerServiceQuotaRoutes } from './routes/service-quotas.js';
import { registerUserRoutes } from './routes/users.js';
import type { AppEnv, HttpOptions } from './types.js';

export const VERSION = '0.1.0';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export interface AppDeps {
  services: ServiceContext;
  http: HttpOptions;
  logger: Logger;
  /** Records every management call in the audit log; without it nothing is recorded. */
  audit?: AuditRecording;
}

/** The caller's X-Request-Id when it is a sane one, else a new id. */
export function requestIdFor(incoming: string | undefined): string {
  return incoming && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
}

export function createApp({ services, http, logger, audit }: AppDeps): { app: Hono<AppEnv>; api: Api; limits: RateLimits } {
  const app = new Hono<AppEnv>();
  const limits = new RateLimits(http.rateLimits);

  app.use(async (c, next) => {
    const requestId = requestIdFor(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    c.set('services', services);
    c.set('http', http);
    c.set('logger', logger);
    // Headers are set before the handler makes its response: a header added to a finished
    // response costs a copy of the response.
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    // The path only: a query string is the caller's and could hold anything. The data plane's
    // requests are its resources' traffic: logged only at debug.
    const log = DATA_PLANE_PATHS.has(c.req.path) ? logger.debug : logger.info;
    log('request', {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      principal: c.get('actor')?.principalId,
    });
  });

  app.use(rateLimiting(limits));

  // No stored text may hold NUL (PostgreSQL cannot), so no id or filter holding one can match.
  app.use(async (c, next) => {
    const url = c.req.url;
    if (url.includes('%00')) refuseNulInUrl(url);
    await next();
  });

  // A declared length past the limit is refused before anything is read; a body without one is
  // counted as it is read (src/http/body.ts). No handler reads a body any other way.
  app.use(async (c, next) => {
    const length = c.req.header('content-length');
    if (length !== undefined && Number(length) > http.maxBodyBytes) {
      return fail(c, 'payload_too_large', `The request body is larger than ${http.maxBodyBytes} bytes`);
    }
    await next();
  });

  app.onError((error, c) => {
    if (error instanceof KeyplaneError) {
      if (error.code === 'user_unauthenticated') c.header('WWW-Authenticate', WWW_AUTHENTICATE);
      return failure(c, error);
    }
    return failure(c, unexpectedFailure(error, logger, c.get('requestId')));
  });

  const api = new Api(app, audit);
  app.notFound((c) => {
    limitAddress(c);
    const allowed = api.methodsFor(c.req.path);
    if (allowed.length === 0) return fail(c, 'route_not_found', `There is no ${c.req.method} ${c.req.path}`);
    c.header('Allow', allowed.join(', '));
    return fail(c, 'method_not_allowed', `${c.req.path} answers ${allowed.join(', ')}, not ${c.req.method}`);
  });

  registerHealthRoutes(api);
  registerOrganizationRoutes(api);
  registerEnvironmentRoutes(api);
  registerUserRoutes(api);
  registerInvitationRoutes(api);
  registerServiceAccountRoutes(api);
  registerApiKeyRoutes(api);
  registerResourceRegistryRoutes(api);
  registerFlinkRegionRoutes(api);
  registerServiceQuotaRoutes(api);
  registerRoleBindingRoutes(api);
  registerKafkaAclRoutes(api);
  registerDataPlaneRoutes(api);
  registerKeyUsageRoutes(api);
  registerAuditEventRoutes(api);
  registerLeakRoutes(api);
  registerConsoleSessionRoutes(api);
  registerConsoleInvitationRoutes(api);

  const document = openApiDocument(api.operations, http.publicUrl, VERSION);
  app.get('/openapi.json', limitByAddress, (c) => c.json(document));

  return { app, api, limits };
}

function refuseNulInUrl(url: string): never {
  const parsed = new URL(url);
  for (const [name, value] of parsed.searchParams) {
    if (name.includes('\0') || value.includes('\0')) {
      const shown = name.replaceAll('\0', '\\0');
      throw new KeyplaneError('bad_request', `The query parameter '${shown}' contains a NUL character`, { source: { parameter: shown } });
    }
  }
  throw new KeyplaneError('bad_request', 'The path contains a NUL character (%00)');
}
