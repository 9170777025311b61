import type { Context, Handler } from 'hono';
import type { AuditCloudEvent, AuditDraft, AuthorizationInfo, RequestMetadata } from '../audit/cloud-event.js';
import { MANAGEMENT_EVENT_TYPE, redact } from '../audit/cloud-event.js';
import { CONSOLE_SESSION_IDENTIFIER } from '../audit/authentication.js';
import { KeyplaneError } from '../domain/errors.js';
import type { RecordedDecision, ServiceContext } from '../services/context.js';
import { principalName } from '../services/access.js';
import { StoreUnavailable } from '../storage/store.js';
import type { Operation } from './api.js';
import { bodyText } from './body.js';
import { callerOf } from './caller.js';
import { errorStatus } from './error-status.js';
import { peerAddress } from './rate-limit.js';
import type { AppEnv } from './types.js';

/** Each API group's object, singular and plural, as audit method names spell them (CreateAPIKey, GetAPIKeys). */
const nouns: Array<[prefix: string, one: string, many: string]> = [
  ['/iam/v2/api-keys', 'APIKey', 'APIKeys'],
  ['/iam/v2/service-accounts', 'ServiceAccount', 'ServiceAccounts'],
  ['/iam/v2/users', 'User', 'Users'],
  ['/iam/v2/invitations', 'Invitation', 'Invitations'],
  ['/console/v1/invitations', 'InvitationLink', 'InvitationLinks'],
  ['/iam/v2/role-bindings', 'RoleBinding', 'RoleBindings'],
  ['/org/v2/environments', 'Environment', 'Environments'],
  ['/org/v2/organizations', 'Organization', 'Organizations'],
  ['/cmk/v2/clusters', 'KafkaCluster', 'KafkaClusters'],
  ['/srcm/v3/clusters', 'SchemaRegistryCluster', 'SchemaRegistryClusters'],
  ['/ksqldbcm/v2/clusters', 'KsqldbCluster', 'KsqldbClusters'],
  ['/fcpm/v2/regions', 'FlinkRegion', 'FlinkRegions'],
  ['/service-quota/v1/applied-quotas', 'AppliedQuota', 'AppliedQuotas'],
  ['/kafka/v3/clusters/{cluster_id}/acls', 'Acl', 'Acls'],
  ['/audit/v1/key-usage', 'KeyUsage', 'KeyUsage'],
  ['/audit/v1/', 'AuditEvent', 'AuditEvents'],
];

/** Operations whose method name is not a verb on the path's noun, by `<method> <path>`. */
const namedMethods: Readonly<Record<string, string>> = { 'post /v1/leaks/check': 'CheckLeakedAPIKeys' };

/**
 * Operations whose body is not recorded: any field of a leak check may quote a secret (a url or
 * source that holds one), which no field name gives away.
 */
const unrecordedBodies: ReadonlySet<string> = new Set(['/v1/leaks/check']);

/** Confluent's method name for an operation: Create…, Get… (one or the list), Update…, Delete…. */
export function methodNameOf(operation: Pick<Operation, 'method' | 'path'>): string {
  const named = namedMethods[`${operation.method} ${operation.path}`];
  if (named) return named;
  const entry = nouns.find(([prefix]) => operation.path.startsWith(prefix));
  const [, one, many] = entry ?? ['', 'Resource', 'Resources'];
  const single = operation.path.endsWith('}') && !operation.path.endsWith('acls');
  switch (operation.method) {
    case 'post':
      return `Create${one}`;
    case 'patch':
      return `Update${one}`;
    case 'delete':
      return operation.path.endsWith('acls') ? `Delete${many}` : `Delete${one}`;
    default:
      return single ? `Get${one}` : `Get${many}`;
  }
}

/** The CRN of what a call is about: the object its path names, else the created object, else the organization. */
function resourceNameOf(c: Context<AppEnv>, operation: Operation, createdId: string | undefined): string {
  const { crn } = c.get('services');
  const id = c.req.param('id') ?? createdId;
  const environment = c.req.query('environment') ?? '';
  const path = operation.path;
  if (path.startsWith('/kafka/v3/clusters/')) return `${crn.organization()}/cloud-cluster=${c.req.param('cluster_id')}/kafka=${c.req.param('cluster_id')}`;
  if (!id) return crn.organization();
  if (path.startsWith('/iam/v2/api-keys')) return crn.apiKey(id);
  if (path.startsWith('/iam/v2/service-accounts')) return crn.serviceAccount(id);
  if (path.startsWith('/iam/v2/users')) return crn.user(id);
  if (path.startsWith('/iam/v2/invitations') || path.startsWith('/console/v1/invitations')) return crn.invitation(id);
  if (path.startsWith('/iam/v2/role-bindings')) return crn.roleBinding(id);
  if (path.startsWith('/org/v2/environments')) return crn.environment(id);
  if (path.startsWith('/cmk/v2/clusters')) return crn.kafkaCluster(environment, id);
  if (path.startsWith('/srcm/v3/clusters')) return crn.schemaRegistry(environment, id);
  if (path.startsWith('/ksqldbcm/v2/clusters')) return crn.ksqldbCluster(environment, id);
  if (path.startsWith('/fcpm/v2/regions')) return crn.flinkRegion(environment, id);
  if (path.startsWith('/service-quota/v1/applied-quotas')) return crn.appliedQuota(id);
  return crn.organization();
}

/** The decision that settled the call: the last refusal of a refused call, else the last grant. */
function authorizationOf(decisions: readonly RecordedDecision[], status: number): AuthorizationInfo | undefined {
  const refused = status === 403 || status === 404;
  const decision = [...decisions].reverse().find((d) => d.allowed !== refused) ?? decisions.at(-1);
  if (!decision) return undefined;
  return {
    granted: decision.allowed,
    operation: decision.operation,
    resourceName: decision.resource,
    ...(decision.binding ? { rbacAuthorization: { bindingId: decision.binding.id, role: decision.binding.roleName, crnPattern: decision.binding.crnPattern } } : {}),
    ...(decision.acl
      ? {
          aclAuthorization: {
            permission: decision.acl.permission,
            operation: decision.acl.operation,
            resourceType: decision.acl.resourceType,
            resourceName: decision.acl.resourceName,
            patternType: decision.acl.patternType,
          },
        }
      : {}),
    reason: decision.reason,
  };
}

async function requestOf(c: Context<AppEnv>, operation: Operation): Promise<Record<string, unknown>> {
  const query = Object.fromEntries(Object.entries(c.req.query()).filter(([name]) => name !== 'page_token'));
  let body: unknown;
  if ((operation.method === 'post' || operation.method === 'patch') && !unrecordedBodies.has(operation.path)) {
    try {
      body = JSON.parse(await bodyText(c));
    } catch {
      body = undefined;
    }
  }
  return redact({ method: c.req.method, path: c.req.path, ...(Object.keys(query).length ? { query } : {}), ...(body === undefined ? {} : { body }) }) as Record<string, unknown>;
}

interface Outcome {
  status: number;
  errorCode?: string;
  createdId?: string;
}

/** What is known of a call when it starts (the socket may be gone by the time it ends). */
interface CallStart {
  time: number;
  requestMetadata: RequestMetadata;
  /** The request as recorded, once its body has been read. */
  request?: Record<string, unknown>;
}

/** Where a call came from, as its audit record keeps it: the user agent cut to 256 characters. */
export function requestMetadataOf(c: Context<AppEnv>): RequestMetadata {
  const userAgent = c.req.header('user-agent');
  return {
    requestId: c.get('requestId'),
    clientAddress: peerAddress(c),
    ...(userAgent ? { userAgent: userAgent.slice(0, 256) } : {}),
  };
}

function callStart(c: Context<AppEnv>): CallStart {
  return { time: Date.now(), requestMetadata: requestMetadataOf(c) };
}

async function draftOf(c: Context<AppEnv>, operation: Operation, decisions: readonly RecordedDecision[], outcome: Outcome, start: CallStart): Promise<AuditDraft> {
  const actor = c.get('actor');
  const resourceName = resourceNameOf(c, operation, outcome.createdId);
  const authorization = authorizationOf(decisions, outcome.status);
  return {
    type: MANAGEMENT_EVENT_TYPE,
    time: start.time,
    ...(actor?.via === 'key' ? { keyId: actor.keyId } : {}),
    data: {
      serviceName: c.get('services').crn.organization(),
      methodName: methodNameOf(operation),
      resourceName,
      authenticationInfo: {
        ...(actor ? { principal: principalName(actor.principalId) } : {}),
        metadata:
          actor?.via === 'session'
            ? { mechanism: 'CONSOLE_SESSION', identifier: CONSOLE_SESSION_IDENTIFIER }
            : { mechanism: 'HTTP_BASIC', ...(actor ? { identifier: actor.keyId } : {}) },
      },
      ...(authorization ? { authorizationInfo: authorization } : {}),
      requestMetadata: start.requestMetadata,
      request: start.request ?? (await requestOf(c, operation)),
      result: {
        status: outcome.status < 400 ? 'SUCCESS' : 'FAILURE',
        httpStatus: outcome.status,
        ...(outcome.errorCode ? { errorCode: outcome.errorCode } : {}),
      },
    },
  };
}

/** The id of what a create made, from its JSON answer. */
async function createdIdOf(response: Response): Promise<string | undefined> {
  // The Location of what was made names it, with no need to read the body back.
  const location = response.headers.get('location');
  if (location) return decodeURIComponent(new URL(location, 'http://localhost').pathname.split('/').at(-1) ?? '') || undefined;
  if (!(response.headers.get('content-type') ?? '').includes('json')) return undefined;
  try {
    const body = (await response.clone().json()) as { id?: unknown };
    return typeof body.id === 'string' ? body.id : undefined;
  } catch {
    return undefined;
  }
}

export interface AuditRecording {
  /** Reads, and calls that failed, go here in batches; they changed nothing. */
  later(draft: AuditDraft): void;
  /** Appends in the given context's transaction. */
  now(ctx: ServiceContext, drafts: readonly AuditDraft[]): Promise<AuditCloudEvent[]>;
  /** Tells listeners of events whose transaction has committed. */
  committed(events: readonly AuditCloudEvent[]): void;
}

/**
 * Wraps a management handler so that every call is recorded: a change in the same transaction
 * as its event (neither lands without the other), a read or a refused or failed call after it,
 * in a batch. The body is read before the transaction opens, so a slow client never holds one.
 */
export function audited(operation: Operation, handler: Handler<AppEnv>, recording: AuditRecording): Handler<AppEnv> {
  const changes = operation.method !== 'get';
  return async (c, next) => {
    const services = c.get('services');
    if (!services.audit) return handler(c, next);
    const started = callStart(c);
    const decisions: RecordedDecision[] = [];
    const run = async (ctx: ServiceContext) => {
      c.set('services', ctx);
      try {
        return await handler(c, next);
      } finally {
        c.set('services', services);
      }
    };
    try {
      if (!changes) {
        const response = (await run({ ...services, decisions })) as Response;
        recording.later(await draftOf(c, operation, decisions, { status: response.status }, started));
        return response;
      }
      // Everything that needs no transaction is done before one opens: on SQLite a write
      // transaction holds every other writer up for as long as it is open.
      await bodyText(c).catch(() => '');
      started.request = await requestOf(c, operation);
      await callerOf(c).catch(() => undefined);
      let appended: AuditCloudEvent[] = [];
      let refusal: AuditDraft | undefined;
      const response = await services.store.transaction(async (tx) => {
        // A transaction run again after a conflict starts its record afresh.
        decisions.length = 0;
        appended = [];
        refusal = undefined;
        const ctx = { ...services, store: tx, decisions };
        const answer = (await run(ctx)) as Response;
        const createdId = operation.method === 'post' && answer.status < 300 ? await createdIdOf(answer) : undefined;
        const draft = await draftOf(c, operation, decisions, { status: answer.status, ...(createdId ? { createdId } : {}) }, started);
        if (answer.status < 400) appended = await recording.now(ctx, [draft]);
        else refusal = draft;
        return answer;
      });
      recording.committed(appended);
      // A refusal changed nothing: recorded once the transaction is settled, so a retry records it once.
      if (refusal) recording.later(refusal);
      return response;
    } catch (error) {
      // As app.onError answers: the catalogue's status, 503 while the database is unreachable, else 500.
      const unavailable = error instanceof StoreUnavailable;
      const status = error instanceof KeyplaneError ? errorStatus[error.code] : unavailable ? 503 : 500;
      const errorCode = error instanceof KeyplaneError ? error.code : unavailable ? 'database_unavailable' : 'internal_error';
      c.set('services', services);
      recording.later(await draftOf(c, operation, decisions, { status, errorCode }, started));
      throw error;
    }
  };
}
