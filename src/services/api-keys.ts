import { parseCrn } from '../domain/crn.js';
import { invalidField, KeyplaneError } from '../domain/errors.js';
import { newApiKeyId } from '../domain/ids.js';
import { findFlinkRegion } from '../domain/regions.js';
import { inferKeyScope, type KeyScopeKind, keyScopes } from '../domain/resources.js';
import type { BindingScope } from '../domain/roles.js';
import { newSecret } from '../domain/secret.js';
import { checkText, textLimits } from '../domain/text.js';
import type { ApiKey } from '../storage/schema.js';
import type { ColumnFilter, Page, PageRequest, Store } from '../storage/store.js';
import { blanket, type Caller, can, ensureStandingOver, namedIds, unauthorized } from './access.js';
import { notFound, requireRow, type ServiceContext, timestamp } from './context.js';
import { forgetEverywhere, removeApiKeys } from './key-removal.js';
import { ensureMayAssign, type PrincipalRef, principalCrn, principalRef, requirePrincipal } from './principals.js';
import { apiKeyQuotaUses, consumeQuotas } from './quota-guard.js';
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

/** The kind of scope a create request names, from the id's shape alone (no lookup). */
export function keyScopeOf(resourceId: string | undefined): { kind: KeyScopeKind; id: string } {
  if (resourceId === undefined) return { kind: 'Cloud', id: 'cloud' };
  const inferred = inferKeyScope(resourceId);
  if (!inferred) {
    throw invalidField(
      '/spec/resource/id',
      `'${resourceId}' is not a resource a key can be scoped to (lkc-…, lsrc-…, lksqlc-…, <cloud>.<region>, cloud, global or tableflow)`,
    );
  }
  return inferred;
}

/** Resolves what a create request names as the key's resource into a scope that exists. */
export async function resolveKeyScope(
  store: Store,
  resourceId: string | undefined,
  environment: string | undefined,
): Promise<KeyScope> {
  const inferred = keyScopeOf(resourceId);
  if (inferred.kind === 'Cloud') return { kind: 'Cloud', id: 'cloud', environmentId: null };
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

export async function createApiKey(ctx: ServiceContext, caller: Caller, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const displayName = checkText('/spec/display_name', input.displayName ?? '', textLimits.displayName);
  const description = checkText('/spec/description', input.description ?? '', textLimits.description);
  const owner = principalRef(input.ownerId, '/spec/owner/id');
  const rule = keyRule(ctx, caller);
  const created = await ctx.store.transaction(async (tx) => {
    const scope = await resolveKeyScope(tx, input.resourceId, input.resourceEnvironment);
    const verdict = judgeKey(rule, {
      ownerId: owner.id,
      ownerKind: owner.kind,
      scopeKind: scope.kind,
      resourceId: scope.id,
      resourceEnvironmentId: scope.environmentId,
    });
    if (!verdict.allowed) throw createRefused(ctx, caller, owner, scope, verdict.failed);
    // Flink statements run as the key's owner wherever the owner has access, beyond the region.
    if (scope.kind === 'Region') ensureMayAssign(ctx, caller, owner);
    // After the decision: a caller refused for this owner learns nothing about whether it exists.
    await requirePrincipal(tx, owner.id, '/spec/owner/id');
    // A key lets its holder act as its owner: no key for an owner who holds more than the caller.
    await ensureStandingOver(ctx, tx, caller, owner.id, 'ApiKey:Create', principalCrn(ctx, owner));
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
    // A miss any node cached for the id (a guess, or a client retrying early) must not hide the
    // new key once it is committed: a create is usable at once.
    await forgetEverywhere(ctx, tx, [key.id], now);
    return { key, secret };
  });
  return created;
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
  /** Only keys not used at or after this time (RFC 3339 UTC, as stored): never used, or last used before it. */
  unusedSince?: string | undefined;
}

/** The keys the caller may manage (any other key is invisible to it), filtered and paged. */
export async function listApiKeys(
  ctx: ServiceContext,
  caller: Caller,
  filter: ApiKeyFilter,
  page: PageRequest,
): Promise<Page<ApiKey>> {
  return ctx.store.list(
    'apiKeys',
    {
      ownerId: filter.ownerId?.toLowerCase(),
      resourceId: filter.resourceId?.toLowerCase(),
      anyOf: manageableKeys(ctx, caller),
      notSince: { lastUsedAt: filter.unusedSince },
    },
    page,
  );
}

/** The key, when the caller may manage it; a key it may not is answered as if it did not exist. */
async function requireManageableKey(ctx: ServiceContext, store: Store, caller: Caller, id: string): Promise<ApiKey> {
  const key = await requireRow(store, 'apiKeys', id);
  if (keyAccess(ctx, caller, key) === 'none') throw notFound('api_key_not_found', 'API key', id);
  return key;
}

export async function getApiKey(ctx: ServiceContext, caller: Caller, id: string): Promise<ApiKey> {
  return requireManageableKey(ctx, ctx.store, caller, id);
}

export interface UpdateApiKeyInput {
  displayName?: string | undefined;
  description?: string | undefined;
}

export async function updateApiKey(ctx: ServiceContext, caller: Caller, id: string, input: UpdateApiKeyInput): Promise<ApiKey> {
  const patch = {
    displayName:
      input.displayName === undefined ? undefined : checkText('/spec/display_name', input.displayName, textLimits.displayName),
    description:
      input.description === undefined ? undefined : checkText('/spec/description', input.description, textLimits.description),
  };
  return ctx.store.transaction(async (tx) => {
    const current = await requireManageableKey(ctx, tx, caller, id);
    const updated = await tx.update('apiKeys', current.id, { ...patch, updatedAt: timestamp(ctx) });
    return updated!;
  });
}

export async function deleteApiKey(ctx: ServiceContext, caller: Caller, id: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const key = await requireManageableKey(ctx, tx, caller, id);
    const removed = await removeApiKeys(ctx, tx, { id: key.id });
    if (removed.length === 0) throw notFound('api_key_not_found', 'API key', id);
  });
}

/*
 * Who may manage an API key. The rule is written once, as three lists of column filters over a
 * key's owner and scope; a single key is judged by whether its columns match them, and a list
 * hands the same filters to the store (`anyOf`). So what GET /iam/v2/api-keys/{id} allows and
 * what GET /iam/v2/api-keys lists cannot drift apart.
 *
 * A caller manages a key when
 *   - it may act for the key's owner (the key is its own; it holds ApiKey:Manage on the owner;
 *     or, for Kafka, Schema Registry, ksqlDB and Tableflow keys, ApiKey:ManageResourceKeys on
 *     the owner) and it may access the key's resource (`<Type>:Describe` on it; Tableflow:
 *     Organization:Describe; Cloud and Global keys have no resource), or
 *   - the key is scoped to a resource the caller holds ApiKey:Manage on (EnvironmentAdmin of its
 *     environment, CloudClusterAdmin of the cluster, FlinkAdmin for Flink regions), whoever owns it.
 * The candidates come from the caller's bindings (blanket grants on the organization or on
 * environments, objects they name), and each named object is decided by `can` as a single
 * call would be.
 */

/** The columns of a key the rule reads. */
export type KeyFacts = Pick<ApiKey, 'ownerId' | 'ownerKind' | 'scopeKind' | 'resourceId' | 'resourceEnvironmentId'>;

/** Conditions on a key's columns, with the store's semantics: a list means any of; null means null. */
type KeyClause = ColumnFilter<'apiKeys'>;

export interface KeyRule {
  /** Keys the caller may act for as their owner. */
  owners: KeyClause[];
  /** Keys whose resource the caller may access; Cloud and Global keys always. */
  resources: KeyClause[];
  /** Resource-scoped keys of any owner on resources the caller holds ApiKey:Manage on. */
  managed: KeyClause[];
}

interface ResourceKind {
  /** The segment type role bindings name these resources by. */
  scope: BindingScope;
  /** What access to the resource means. */
  describe: string;
  crn: (ctx: ServiceContext, environmentId: string, id: string) => string;
}

/** The key kinds scoped to one resource of an environment. */
const environmentResources = {
  Cluster: { scope: 'cloud-cluster', describe: 'KafkaCluster:Describe', crn: (ctx, env, id) => ctx.crn.kafkaCluster(env, id) },
  SchemaRegistry: {
    scope: 'schema-registry',
    describe: 'SchemaRegistry:Describe',
    crn: (ctx, env, id) => ctx.crn.schemaRegistry(env, id),
  },
  ksqlDB: { scope: 'ksql', describe: 'KsqlCluster:Describe', crn: (ctx, env, id) => ctx.crn.ksqldbCluster(env, id) },
  Region: { scope: 'flink-region', describe: 'FlinkRegion:Describe', crn: (ctx, env, id) => ctx.crn.flinkRegion(env, id) },
} as const satisfies Partial<Record<KeyScopeKind, ResourceKind>>;

type EnvironmentResourceKind = keyof typeof environmentResources;

const environmentResourceKinds = Object.keys(environmentResources) as EnvironmentResourceKind[];

function isEnvironmentResourceKind(kind: KeyScopeKind): kind is EnvironmentResourceKind {
  return Object.hasOwn(environmentResources, kind);
}

/** The key kinds ApiKey:ManageResourceKeys (ResourceKeyAdmin) reaches. */
const resourceKeyKinds: KeyScopeKind[] = ['Cluster', 'SchemaRegistry', 'ksqlDB', 'Tableflow'];

/** The (environment, id) pairs of `scope` the caller's bindings name, in their patterns or above what they name. */
function namedResources(caller: Caller, scope: BindingScope): Array<{ environmentId: string; id: string }> {
  const named = new Map<string, { environmentId: string; id: string }>();
  for (const binding of caller.bindings) {
    const segments = parseCrn(binding.crnPattern)?.segments ?? [];
    const environment = segments[1]?.type === 'environment' ? segments[1].value : undefined;
    const resource = segments.find((segment, i) => i > 1 && segment.type === scope);
    if (environment && resource) named.set(`${environment}/${resource.value}`, { environmentId: environment, id: resource.value });
  }
  return [...named.values()];
}

/** The resources of one kind the caller may perform `operation` on, as conditions on a key's scope. */
function onResources(ctx: ServiceContext, caller: Caller, kind: EnvironmentResourceKind, operation: string): KeyClause[] {
  const { scope, crn } = environmentResources[kind];
  const { organization, environments } = blanket(ctx, caller, operation, scope);
  if (organization) return [{ scopeKind: kind }];
  const clauses: KeyClause[] = environments.length > 0 ? [{ scopeKind: kind, resourceEnvironmentId: environments }] : [];
  for (const { environmentId, id } of namedResources(caller, scope)) {
    if (environments.includes(environmentId)) continue;
    if (can(ctx, caller, operation, crn(ctx, environmentId, id)).allowed) {
      clauses.push({ scopeKind: kind, resourceEnvironmentId: environmentId, resourceId: id });
    }
  }
  return clauses;
}

/** The owners the caller may perform `operation` on, as conditions on a key's owner (and kind). */
function onOwners(ctx: ServiceContext, caller: Caller, operation: string, kinds?: KeyScopeKind[]): KeyClause[] {
  const only = kinds ? { scopeKind: kinds } : {};
  const clauses: KeyClause[] = [];
  for (const [ownerKind, scope] of [
    ['ServiceAccount', 'service-account'],
    ['User', 'user'],
  ] as const) {
    if (blanket(ctx, caller, operation, scope).organization) {
      clauses.push({ ownerKind, ...only });
      continue;
    }
    const ids = namedIds(ctx, caller, scope, operation, (id) => principalCrn(ctx, { id, kind: ownerKind }));
    if (ids.length > 0) clauses.push({ ownerId: ids, ...only });
  }
  return clauses;
}

function onOrganizationObject(ctx: ServiceContext, caller: Caller, kind: KeyScopeKind, operation: string, crn: string): KeyClause[] {
  return can(ctx, caller, operation, crn).allowed ? [{ scopeKind: kind }] : [];
}

/** The API-key rule for one caller, from its role bindings. */
export function keyRule(ctx: ServiceContext, caller: Caller): KeyRule {
  return {
    owners: [
      { ownerId: caller.actor.principalId },
      ...onOwners(ctx, caller, 'ApiKey:Manage'),
      ...onOwners(ctx, caller, 'ApiKey:ManageResourceKeys', resourceKeyKinds),
    ],
    resources: [
      { scopeKind: ['Cloud', 'Global'] },
      ...onOrganizationObject(ctx, caller, 'Tableflow', 'Organization:Describe', ctx.crn.organization()),
      ...environmentResourceKinds.flatMap((kind) => onResources(ctx, caller, kind, environmentResources[kind].describe)),
    ],
    managed: [
      ...onOrganizationObject(ctx, caller, 'Tableflow', 'ApiKey:Manage', ctx.crn.tableflow()),
      ...environmentResourceKinds.flatMap((kind) => onResources(ctx, caller, kind, 'ApiKey:Manage')),
    ],
  };
}

/** Whether a key's columns meet a clause, as the store would decide it. */
function meets(key: KeyFacts, clause: KeyClause): boolean {
  return Object.entries(clause).every(([column, wanted]) => {
    if (wanted === undefined) return true;
    const value = key[column as keyof KeyFacts];
    return Array.isArray(wanted) ? wanted.includes(value) : wanted === value;
  });
}

export type KeyVerdict = { allowed: true } | { allowed: false; failed: 'owner' | 'resource' };

/** Judges one key by the rule; a refusal says which half failed. */
export function judgeKey(rule: KeyRule, key: KeyFacts): KeyVerdict {
  const meetsAny = (clauses: KeyClause[]) => clauses.some((clause) => meets(key, clause));
  if (meetsAny(rule.managed)) return { allowed: true };
  if (!meetsAny(rule.owners)) return { allowed: false, failed: 'owner' };
  if (!meetsAny(rule.resources)) return { allowed: false, failed: 'resource' };
  return { allowed: true };
}

export type KeyAccess = 'manage' | 'none';

/** What the caller may do with a key: read, change and delete it, or nothing (it is hidden). */
export function keyAccess(ctx: ServiceContext, caller: Caller, key: KeyFacts): KeyAccess {
  return judgeKey(keyRule(ctx, caller), key).allowed ? 'manage' : 'none';
}

/** The clause met by exactly the keys that meet both, or undefined when none can. */
function both(a: KeyClause, b: KeyClause): KeyClause | undefined {
  const merged: Record<string, unknown> = { ...a };
  const values = (v: unknown) => (Array.isArray(v) ? (v as unknown[]) : [v]);
  for (const [column, wanted] of Object.entries(b)) {
    if (wanted === undefined) continue;
    const held = merged[column];
    if (held === undefined) {
      merged[column] = wanted;
      continue;
    }
    const common = values(held).filter((v) => values(wanted).includes(v));
    if (common.length === 0) return undefined;
    merged[column] = common.length === 1 ? common[0] : common;
  }
  return merged as KeyClause;
}

/** The keys the caller may manage, as the store's `anyOf`: exactly those `keyAccess` answers 'manage' for. */
export function manageableKeys(ctx: ServiceContext, caller: Caller): KeyClause[] {
  const rule = keyRule(ctx, caller);
  const owned = rule.owners.flatMap((owner) => rule.resources.flatMap((resource) => both(owner, resource) ?? []));
  return [...rule.managed, ...owned];
}

const CREATE = 'ApiKey:Create';

/** Why a create is refused, naming the owner or the resource that failed. */
function createRefused(
  ctx: ServiceContext,
  caller: Caller,
  owner: PrincipalRef,
  scope: KeyScope,
  failed: 'owner' | 'resource',
): KeyplaneError {
  if (failed === 'owner') {
    const onOwner = resourceKeyKinds.includes(scope.kind) ? 'ApiKey:Manage or ApiKey:ManageResourceKeys' : 'ApiKey:Manage';
    const onResource = isEnvironmentResourceKind(scope.kind) || scope.kind === 'Tableflow' ? ', or ApiKey:Manage on the resource' : '';
    return new KeyplaneError(
      'user_unauthorized',
      `${unauthorized(caller, CREATE, principalCrn(ctx, owner)).detail}: a key of another principal needs ${onOwner} on that owner${onResource}`,
    );
  }
  const { operation, crn } = resourceAccess(ctx, scope);
  return new KeyplaneError(
    'user_unauthorized',
    `${unauthorized(caller, CREATE, crn).detail}: a key for this resource needs access to it (${operation})`,
  );
}

/** What access to a key's resource means, and the CRN it is checked on. */
function resourceAccess(ctx: ServiceContext, scope: KeyScope): { operation: string; crn: string } {
  if (isEnvironmentResourceKind(scope.kind) && scope.environmentId) {
    const kind = environmentResources[scope.kind];
    return { operation: kind.describe, crn: kind.crn(ctx, scope.environmentId, scope.id) };
  }
  return { operation: 'Organization:Describe', crn: ctx.crn.organization() };
}

/** A PATCH may repeat an immutable field unchanged (clients send what they read), but not change it. */
export function refuseImmutableChange(pointer: string, sent: string | undefined, current: string): void {
  if (sent !== undefined && sent.toLowerCase() !== current.toLowerCase()) {
    throw new KeyplaneError('invalid_configuration', `${pointer} cannot be changed after the key is created`, {
      source: { pointer },
    });
  }
}
