import { KeyplaneError, invalidField } from '../domain/errors.js';
import { newApiKeyId } from '../domain/ids.js';
import { findFlinkRegion } from '../domain/regions.js';
import {
  type KeyScopeKind,
  inferKeyScope,
  keyScopes,
} from '../domain/resources.js';
import { newSecret } from '../domain/secret.js';
import { checkText, textLimits } from '../domain/text.js';
import type { ApiKey } from '../storage/schema.js';
import type { Page, PageRequest, Store } from '../storage/store.js';
import { type ServiceContext, notFound, requireRow, timestamp } from './context.js';
import { removeApiKeys } from './key-removal.js';
import { apiKeyQuotaUses, consumeQuotas } from './quota-guard.js';
import { type PrincipalRef, requirePrincipal } from './principals.js';
import type { SecretHasher } from './secret-hasher.js';

export interface CreateApiKeyInput {
  ownerId: string;
  /** Absent means a Cloud key. */
  resourceId?: string | undefined;
  resourceEnvironment?: string | undefined;
  displayName?: string | undefined;
  description?: string | undefined;
}

export interface KeyScope {
  kind: KeyScopeKind;
  id: string;
  environmentId: string | null;
}

/** Resolves what a create request names as the key's resource into a scope that exists. */
export async function resolveKeyScope(
  store: Store,
  resourceId: string | undefined,
  environment: string | undefined,
): Promise<KeyScope> {
  if (resourceId === undefined) return { kind: 'Cloud', id: 'cloud', environmentId: null };
  const inferred = inferKeyScope(resourceId);
  if (!inferred) {
    throw invalidField(
      '/spec/resource/id',
      `'${resourceId}' is not a resource a key can be scoped to (lkc-…, lsrc-…, lksqlc-…, <cloud>.<region>, cloud, global or tableflow)`,
    );
  }
  const env = environment?.trim().toLowerCase() || undefined;
  const registered = keyScopes[inferred.kind].registered;
  if (registered) {
    const resource = await store.get('resources', inferred.id);
    if (!resource || resource.type !== registered) {
      throw invalidField('/spec/resource/id', `The resource '${inferred.id}' does not exist`);
    }
    if (env && env !== resource.environmentId) {
      throw invalidField(
        '/spec/resource/environment',
        `The resource '${inferred.id}' is in environment '${resource.environmentId}', not '${env}'`,
      );
    }
    return { kind: inferred.kind, id: inferred.id, environmentId: resource.environmentId };
  }
  if (inferred.kind === 'Region') {
    if (!env) throw invalidField('/spec/resource/environment', 'A Flink region key needs spec.resource.environment');
    if (!findFlinkRegion(inferred.id)) {
      throw invalidField('/spec/resource/id', `'${inferred.id}' is not a known Flink region`);
    }
    if (!(await store.get('environments', env))) {
      throw invalidField('/spec/resource/environment', `The environment '${env}' does not exist`);
    }
    return { kind: 'Region', id: inferred.id, environmentId: env };
  }
  return { kind: inferred.kind, id: inferred.id, environmentId: null };
}

export interface CreatedApiKey {
  key: ApiKey;
  /** The only time the secret exists outside the caller's hands. */
  secret: string;
}

export async function createApiKey(ctx: ServiceContext, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const displayName = checkText('/spec/display_name', input.displayName ?? '', textLimits.displayName);
  const description = checkText('/spec/description', input.description ?? '', textLimits.description);
  return ctx.store.transaction(async (tx) => {
    const owner = await requirePrincipal(tx, input.ownerId, '/spec/owner/id');
    const scope = await resolveKeyScope(tx, input.resourceId, input.resourceEnvironment);
    const now = timestamp(ctx);
    const secret = newSecret(ctx.randomBytes);
    const key = apiKeyRow(ctx.hasher, now, {
      id: newApiKeyId(ctx.randomBytes),
      owner,
      scope,
      displayName,
      description,
      secret,
    });
    await tx.insert('apiKeys', key);
    await consumeQuotas(tx, apiKeyQuotaUses(ctx.orgId, key), now, ctx.quotas);
    return { key, secret };
  });
}

export interface ApiKeyParts {
  id: string;
  owner: PrincipalRef;
  scope: KeyScope;
  displayName: string;
  description: string;
  secret: string;
}

/** The stored form of a key: everything but the secret, which is kept only as its keyed hash. */
export function apiKeyRow(hasher: SecretHasher, now: string, parts: ApiKeyParts): ApiKey {
  const { hash, version } = hasher.hash(parts.secret);
  return {
    id: parts.id,
    ownerId: parts.owner.id,
    ownerKind: parts.owner.kind,
    scopeKind: parts.scope.kind,
    resourceId: parts.scope.id,
    resourceEnvironmentId: parts.scope.environmentId,
    displayName: parts.displayName,
    description: parts.description,
    secretHash: hash,
    pepperVersion: version,
    createdAt: now,
    updatedAt: now,
    lastUsedAt: null,
  };
}

export interface ApiKeyFilter {
  ownerId?: string | undefined;
  resourceId?: string | undefined;
}

export async function listApiKeys(ctx: ServiceContext, filter: ApiKeyFilter, page: PageRequest): Promise<Page<ApiKey>> {
  return ctx.store.list(
    'apiKeys',
    { ownerId: filter.ownerId?.toLowerCase(), resourceId: filter.resourceId?.toLowerCase() },
    page,
  );
}

export async function getApiKey(ctx: ServiceContext, id: string): Promise<ApiKey> {
  return requireRow(ctx.store, 'apiKeys', id);
}

export interface UpdateApiKeyInput {
  displayName?: string | undefined;
  description?: string | undefined;
}

export async function updateApiKey(ctx: ServiceContext, id: string, input: UpdateApiKeyInput): Promise<ApiKey> {
  const patch = {
    displayName:
      input.displayName === undefined ? undefined : checkText('/spec/display_name', input.displayName, textLimits.displayName),
    description:
      input.description === undefined ? undefined : checkText('/spec/description', input.description, textLimits.description),
  };
  return ctx.store.transaction(async (tx) => {
    const current = await requireRow(tx, 'apiKeys', id);
    const updated = await tx.update('apiKeys', current.id, { ...patch, updatedAt: timestamp(ctx) });
    return updated!;
  });
}

export async function deleteApiKey(ctx: ServiceContext, id: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const removed = await removeApiKeys(ctx, tx, { id: id.trim().toUpperCase() });
    if (removed.length === 0) throw notFound('api_key_not_found', 'API key', id);
  });
}

/** A PATCH may repeat an immutable field unchanged (clients send what they read), but not change it. */
export function refuseImmutableChange(pointer: string, sent: string | undefined, current: string): void {
  if (sent !== undefined && sent.toLowerCase() !== current.toLowerCase()) {
    throw new KeyplaneError('invalid_configuration', `${pointer} cannot be changed after the key is created`, {
      source: { pointer },
    });
  }
}
