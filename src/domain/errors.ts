/**
 * The one catalogue of error codes. Every failure a caller can see has a code here; the HTTP
 * layer maps each code to a status (src/http/error-status.ts) and a test keeps the two and the
 * README in step.
 */
export const errorCatalogue = {
  bad_request: 'Bad Request',
  invalid_json: 'Malformed JSON',
  invalid_filter: 'Invalid Filter',
  invalid_page_token: 'Invalid Page Token',
  unsupported_media_type: 'Unsupported Media Type',
  payload_too_large: 'Payload Too Large',
  user_unauthenticated: 'Authentication Required',
  sign_in_failed: 'Sign-In Failed',
  session_invalid: 'Not Signed In',
  csrf_token_invalid: 'CSRF Token Invalid',
  quota_exceeded: 'Quota Exceeded',
  user_unauthorized: 'User Access Unauthorized',
  api_key_not_found: 'API Key Not Found',
  user_not_found: 'User Not Found',
  invitation_not_found: 'Invitation Not Found',
  service_account_not_found: 'Service Account Not Found',
  environment_not_found: 'Environment Not Found',
  organization_not_found: 'Organization Not Found',
  kafka_cluster_not_found: 'Kafka Cluster Not Found',
  schema_registry_not_found: 'Schema Registry Not Found',
  ksqldb_cluster_not_found: 'ksqlDB Cluster Not Found',
  region_not_found: 'Region Not Found',
  applied_quota_not_found: 'Applied Quota Not Found',
  role_binding_not_found: 'Role Binding Not Found',
  invitation_link_invalid: 'Invitation Link Invalid',
  route_not_found: 'Not Found',
  method_not_allowed: 'Method Not Allowed',
  resource_already_exists: 'Resource Already Exists',
  principal_in_use: 'Principal In Use',
  invitation_closed: 'Invitation Closed',
  invalid_configuration: 'Invalid Configuration',
  too_many_requests: 'Too Many Requests',
  internal_error: 'Internal Server Error',
  database_unavailable: 'Service Unavailable',
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export interface ErrorSource {
  /** JSON Pointer into the request body, e.g. `/spec/owner/id`. */
  pointer?: string;
  /** Name of the query parameter at fault. */
  parameter?: string;
}

export interface KeyplaneErrorOptions {
  source?: ErrorSource;
  /** Path of an existing object, for `resource_already_exists`. */
  location?: string;
  /** Whole seconds (at least 1) before the same request can succeed, for `too_many_requests`. */
  retryAfterSeconds?: number;
}

/** An expected failure of a use case: thrown once, caught once at the edge, shown to the caller. */
export class KeyplaneError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly source: ErrorSource | undefined;
  readonly location: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail: string, options: KeyplaneErrorOptions = {}) {
    super(detail);
    this.name = 'KeyplaneError';
    this.code = code;
    this.detail = detail;
    this.source = options.source;
    this.location = options.location;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get title(): string {
    return errorCatalogue[this.code];
  }
}

export function invalidField(pointer: string, detail: string): KeyplaneError {
  return new KeyplaneError('invalid_configuration', detail, { source: { pointer } });
}

export function badField(pointer: string, detail: string): KeyplaneError {
  return new KeyplaneError('bad_request', detail, { source: { pointer } });
}
