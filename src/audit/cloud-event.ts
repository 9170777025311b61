/**
 * Audit records as CloudEvents 1.0, shaped like Confluent Cloud's audit log: `data` holds
 * serviceName, methodName, resourceName, authenticationInfo, authorizationInfo,
 * requestMetadata, request and result. Nothing here may hold a secret: request bodies pass
 * through `redact`, and authentication records carry key ids only.
 */

export const MANAGEMENT_EVENT_TYPE = 'io.confluent.cloud/request';
export const AUTHENTICATION_EVENT_TYPE = 'io.confluent.kafka.server/authentication';

export interface AuthenticationInfo {
  /** `User:u-…` or `User:sa-…`; absent when the credentials did not authenticate. */
  principal?: string;
  metadata: { mechanism: string; identifier?: string };
}

export interface AuthorizationInfo {
  granted: boolean;
  operation?: string;
  resourceName?: string;
  /** The role binding that granted the call. */
  rbacAuthorization?: { bindingId: string; role: string; crnPattern: string };
  /** The ACL that allowed or denied it. */
  aclAuthorization?: { permission: string; operation: string; resourceType: string; resourceName: string; patternType: string };
  reason?: string;
}

export interface RequestMetadata {
  requestId?: string;
  clientAddress?: string;
  userAgent?: string;
}

export interface AuditResult {
  status: 'SUCCESS' | 'FAILURE';
  httpStatus?: number;
  errorCode?: string;
  message?: string;
}

export interface AuditData {
  serviceName: string;
  methodName: string;
  resourceName: string;
  authenticationInfo: AuthenticationInfo;
  authorizationInfo?: AuthorizationInfo;
  requestMetadata: RequestMetadata;
  request?: Record<string, unknown>;
  result: AuditResult;
}

export interface AuditCloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: AuditData;
}

/** An event before it joins a chain, which gives it its id and final time. */
export interface AuditDraft {
  type: string;
  /** Milliseconds since the epoch. */
  time: number;
  data: AuditData;
  /** The key used, or the key the event is about (a leak report): "is this key in use?" queries read only authentication events. */
  keyId?: string;
}

const SECRET_FIELD_RE = /secret|password|token|credential/i;

/**
 * A request body as it may be kept: every field whose name says it holds a secret, password or
 * token is replaced by "[redacted]", at any depth. Strings are cut at 512 characters.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[nested too deep]';
  if (typeof value === 'string') return value.length > 512 ? `${value.slice(0, 512)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_FIELD_RE.test(k) && k !== 'credential_identity' ? '[redacted]' : redact(v, depth + 1)]),
    );
  }
  return value;
}

export function finish(draft: AuditDraft, id: string, time: string, source: string): AuditCloudEvent {
  return {
    specversion: '1.0',
    id,
    source,
    type: draft.type,
    time,
    subject: draft.data.resourceName,
    datacontenttype: 'application/json',
    data: draft.data,
  };
}
