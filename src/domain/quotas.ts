/**
 * Service quotas. Each has a code as Confluent names it, the scope it is counted in and a
 * default limit; an operator may change any limit (KEYPLANE_QUOTAS). Counting and enforcing is
 * the services' job, inside the transaction that creates the object.
 */
export type QuotaScope = 'ORGANIZATION' | 'USER_ACCOUNT' | 'SERVICE_ACCOUNT' | 'KAFKA_CLUSTER';

export interface QuotaDefinition {
  code: string;
  scope: QuotaScope;
  displayName: string;
  defaultLimit: number;
}

export const quotaDefinitions = [
  { code: 'iam.max_cloud_api_keys.per_user', scope: 'USER_ACCOUNT', displayName: 'Cloud API keys per user', defaultLimit: 10 },
  { code: 'iam.max_cluster_api_keys.per_user', scope: 'USER_ACCOUNT', displayName: 'Resource API keys per user', defaultLimit: 10 },
  {
    code: 'iam.max_cloud_api_keys.per_service_account',
    scope: 'SERVICE_ACCOUNT',
    displayName: 'Cloud API keys per service account',
    defaultLimit: 100,
  },
  {
    code: 'iam.max_cluster_api_keys.per_service_account',
    scope: 'SERVICE_ACCOUNT',
    displayName: 'Resource API keys per service account',
    defaultLimit: 100,
  },
  { code: 'iam.max_cloud_api_keys.per_org', scope: 'ORGANIZATION', displayName: 'Cloud API keys per organization', defaultLimit: 1000 },
  { code: 'kafka.max_api_keys.per_cluster', scope: 'KAFKA_CLUSTER', displayName: 'API keys per Kafka cluster', defaultLimit: 2000 },
  { code: 'iam.max_service_accounts.per_org', scope: 'ORGANIZATION', displayName: 'Service accounts per organization', defaultLimit: 1000 },
  { code: 'iam.max_environments.per_org', scope: 'ORGANIZATION', displayName: 'Environments per organization', defaultLimit: 25 },
] as const satisfies readonly QuotaDefinition[];

export type QuotaCode = (typeof quotaDefinitions)[number]['code'];

export type QuotaLimits = Record<QuotaCode, number>;

export function defaultQuotaLimits(): QuotaLimits {
  return Object.fromEntries(quotaDefinitions.map((q) => [q.code, q.defaultLimit])) as QuotaLimits;
}

export function isQuotaCode(code: string): code is QuotaCode {
  return quotaDefinitions.some((q) => q.code === code);
}

/**
 * Parses `code=limit,code=limit` into limits over the defaults. Returns an error message for an
 * unknown code or a limit that is not a whole number ≥ 0.
 */
export function parseQuotaOverrides(text: string): { ok: true; limits: QuotaLimits } | { ok: false; error: string } {
  const limits = defaultQuotaLimits();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [code, value, ...rest] = part.split('=').map((s) => s.trim());
    if (!code || value === undefined || rest.length > 0) return { ok: false, error: `"${part}" is not code=limit` };
    if (!isQuotaCode(code)) return { ok: false, error: `unknown quota code "${code}"` };
    if (!/^\d{1,9}$/.test(value)) return { ok: false, error: `the limit for ${code} must be a whole number` };
    limits[code] = Number(value);
  }
  return { ok: true, limits };
}

/** Which quotas a new API key counts against, by owner kind and scope kind. */
export function apiKeyQuotaCodes(ownerKind: 'User' | 'ServiceAccount', management: boolean, kafka: boolean): QuotaCode[] {
  const codes: QuotaCode[] = [];
  if (ownerKind === 'User') codes.push(management ? 'iam.max_cloud_api_keys.per_user' : 'iam.max_cluster_api_keys.per_user');
  else
    codes.push(
      management ? 'iam.max_cloud_api_keys.per_service_account' : 'iam.max_cluster_api_keys.per_service_account',
    );
  if (management) codes.push('iam.max_cloud_api_keys.per_org');
  if (kafka) codes.push('kafka.max_api_keys.per_cluster');
  return codes;
}
