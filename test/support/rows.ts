import type { ApiKey } from '../../src/storage/schema.js';

/**
 * An API key row as the store holds it, for tests and benchmarks that write rows directly:
 * a Cloud key of service account `sa-owner1`, unless `over` says otherwise.
 */
export function apiKeyRow(id: string, at: string, over: Partial<ApiKey> = {}): ApiKey {
  return {
    id,
    ownerId: 'sa-owner1',
    ownerKind: 'ServiceAccount',
    scopeKind: 'Cloud',
    resourceId: 'cloud',
    resourceEnvironmentId: null,
    displayName: '',
    description: '',
    secretHash: 'hash',
    pepperVersion: 1,
    createdAt: at,
    updatedAt: at,
    lastUsedAt: null,
    ...over,
  };
}
