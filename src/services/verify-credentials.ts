import type { Decision } from '../domain/authorization.js';
import { type Crn, parseCrn } from '../domain/crn.js';
import { hasIdShape } from '../domain/ids.js';
import { findFlinkRegion } from '../domain/regions.js';
import { inferKeyScope, type KeyScopeKind, keyScopes } from '../domain/resources.js';
import { authorize, principalName } from './access.js';
import { checkSecret, type Origin, reportAuthentication } from './authenticate.js';
import type { ServiceContext } from './context.js';
import type { KeyRecord } from './key-cache.js';
import { andThen, type Maybe } from './maybe.js';
import { resourceCrn } from './resource-registry.js';

/** A resource as the data plane names it: `lkc-…`, `lsrc-…`, `lksqlc-…`, `<env>/<cloud>.<region>` or `tableflow`. */
export interface DataPlaneResource {
  kind: Exclude<KeyScopeKind, 'Cloud' | 'Global'>;
  id: string;
  /** A Flink region's environment; null for the others. */
  environmentId: string | null;
  /** The resource as written back in answers and events: `lkc-abc123`, `env-abc123/aws.us-east-1`. */
  name: string;
}

export const RESOURCE_FORMS = 'lkc-…, lsrc-…, lksqlc-…, <environment>/<cloud>.<region> or tableflow';

const parsedResources = new Map<string, DataPlaneResource>();
/** Resources parsed and remembered: a node serves a few, and anything past this is parsed each time. */
const MAX_PARSED_RESOURCES = 10_000;

/** The resource `text` names, or undefined when it names none (ids are case-insensitive). */
export function parseResource(text: string): DataPlaneResource | undefined {
  let parsed = parsedResources.get(text);
  if (parsed === undefined) {
    parsed = parse(text);
    // Only what names a resource is remembered: junk sent before any check cannot fill the map.
    if (parsed && parsedResources.size < MAX_PARSED_RESOURCES) parsedResources.set(text, parsed);
  }
  return parsed;
}

function parse(text: string): DataPlaneResource | undefined {
  const lower = text.trim().toLowerCase();
  const slash = lower.indexOf('/');
  if (slash >= 0) {
    const environmentId = lower.slice(0, slash);
    const region = inferKeyScope(lower.slice(slash + 1));
    if (!hasIdShape('environment', environmentId) || region?.kind !== 'Region') return undefined;
    return { kind: 'Region', id: region.id, environmentId, name: `${environmentId}/${region.id}` };
  }
  const inferred = inferKeyScope(lower);
  if (!inferred || inferred.kind === 'Region' || inferred.kind === 'Cloud' || inferred.kind === 'Global') return undefined;
  return { kind: inferred.kind, id: inferred.id, environmentId: null, name: inferred.id };
}

export type VerifyFailure = 'invalid_credentials' | 'wrong_resource' | 'cloud_key' | 'no_access';

export type Verification =
  | { valid: true; key: KeyRecord; resource: DataPlaneResource }
  | { valid: false; reason: VerifyFailure; detail: string };

/**
 * Whether `key` and `secret` may be used on `resource`. A resource key is valid on its resource
 * only; a Flink key on its environment and region; a Global key on any resource its owner may
 * describe; a Cloud key on none. An unknown key and a wrong secret give the same reason. When
 * the key is cached this answers synchronously (a SHA-256 and a map lookup); a Global key's
 * answer reads its owner's role bindings.
 */
export function verifyCredentials(
  ctx: ServiceContext,
  keyId: string,
  secret: string,
  resource: DataPlaneResource,
  origin: Origin,
): Maybe<Verification> {
  return andThen(checkSecret(ctx, keyId, secret), (key) => {
    if (!key) return reported(ctx, origin, keyId, resource, undefined, invalidCredentials);
    switch (key.scopeKind) {
      case 'Cloud':
        return reported(ctx, origin, keyId, resource, key, {
          valid: false,
          reason: 'cloud_key',
          detail: `API key ${key.id} is a Cloud API key: it manages resources and is valid on none`,
        });
      case 'Global':
        return ownerMayDescribe(ctx, key, resource).then((allowed) =>
          reported(ctx, origin, keyId, resource, key, allowed ? { valid: true, key, resource } : noAccess(key, resource)),
        );
      default:
        return reported(ctx, origin, keyId, resource, key, scopedTo(key, resource) ? { valid: true, key, resource } : wrongResource(key, resource));
    }
  });
}

const invalidCredentials: Verification = { valid: false, reason: 'invalid_credentials', detail: 'The API key or secret is not valid' };

function wrongResource(key: KeyRecord, resource: DataPlaneResource): Verification {
  const scope = key.scopeKind === 'Region' ? `${key.resourceEnvironmentId}/${key.resourceId}` : key.resourceId;
  return { valid: false, reason: 'wrong_resource', detail: `API key ${key.id} is scoped to ${scope}, not ${resource.name}` };
}

function noAccess(key: KeyRecord, resource: DataPlaneResource): Verification {
  return { valid: false, reason: 'no_access', detail: `The owner of Global API key ${key.id} has no access to ${resource.name}` };
}

/** Whether a resource-scoped key's scope is `resource`. */
function scopedTo(key: KeyRecord, resource: DataPlaneResource): boolean {
  return (
    key.scopeKind === resource.kind &&
    key.resourceId === resource.id &&
    (resource.kind !== 'Region' || key.resourceEnvironmentId === resource.environmentId)
  );
}

function reported(
  ctx: ServiceContext,
  origin: Origin,
  keyId: string,
  resource: DataPlaneResource,
  key: KeyRecord | undefined,
  verification: Verification,
): Verification {
  const outcome = verification.valid ? { key: verification.key } : key ? { key, reason: verification.reason } : { reason: verification.reason };
  reportAuthentication(ctx, origin, keyId, outcome, resource.name);
  return verification;
}

const describeOperations: Record<DataPlaneResource['kind'], string> = {
  Cluster: 'KafkaCluster:Describe',
  SchemaRegistry: 'SchemaRegistry:Describe',
  ksqlDB: 'KsqlCluster:Describe',
  Region: 'FlinkRegion:Describe',
  Tableflow: 'Tableflow:Describe',
};

async function ownerMayDescribe(ctx: ServiceContext, key: KeyRecord, resource: DataPlaneResource): Promise<boolean> {
  const crn = await crnOf(ctx, resource);
  if (!crn) return false;
  return (await authorize(ctx, principalName(key.ownerId), describeOperations[resource.kind], crn)).allowed;
}

/** The CRN of an existing resource, as role bindings name it; undefined when there is no such resource. */
export async function crnOf(ctx: ServiceContext, resource: DataPlaneResource): Promise<string | undefined> {
  if (resource.kind === 'Tableflow') return ctx.crn.tableflow();
  if (resource.kind === 'Region') {
    const environmentId = resource.environmentId!;
    if (!findFlinkRegion(resource.id) || !(await ctx.store.get('environments', environmentId))) return undefined;
    return ctx.crn.flinkRegion(environmentId, resource.id);
  }
  const registered = keyScopes[resource.kind].registered;
  const row = await ctx.store.get('resources', resource.id);
  if (!row || row.type !== registered) return undefined;
  return resourceCrn(ctx, registered, row.environmentId, row.id);
}

export type VerifierCheck =
  | { allowed: true; key: KeyRecord }
  | { allowed: false; reason: 'invalid_credentials' | 'not_a_verifier'; detail: string };

/**
 * Whether the credential calling a verification endpoint may verify keys for `resource`: a key
 * scoped to that resource (the resource's own service credential), or a Cloud or Global key
 * whose owner is granted `ApiKey:Verify` on the resource.
 */
export function checkVerifier(
  ctx: ServiceContext,
  keyId: string,
  secret: string,
  resource: DataPlaneResource,
  origin: Origin,
): Maybe<VerifierCheck> {
  return andThen(checkSecret(ctx, keyId, secret), (key): Maybe<VerifierCheck> => {
    if (!key) {
      reportAuthentication(ctx, origin, keyId, { reason: 'invalid_credentials' }, resource.name);
      return { allowed: false, reason: 'invalid_credentials', detail: 'The verifier API key or secret is not valid' };
    }
    if (scopedTo(key, resource)) return verifierDecided(ctx, origin, key, resource, true);
    if (key.scopeKind !== 'Cloud' && key.scopeKind !== 'Global') return verifierDecided(ctx, origin, key, resource, false);
    return crnOf(ctx, resource).then(async (crn) => {
      const granted = crn !== undefined && (await authorize(ctx, principalName(key.ownerId), 'ApiKey:Verify', crn)).allowed;
      return verifierDecided(ctx, origin, key, resource, granted);
    });
  });
}

/** Reports a verifier whose secret was right as a use, or, when it may not verify here, as a failure. */
function verifierDecided(ctx: ServiceContext, origin: Origin, key: KeyRecord, resource: DataPlaneResource, allowed: boolean): VerifierCheck {
  if (allowed) {
    reportAuthentication(ctx, origin, key.id, { key }, resource.name);
    return { allowed: true, key };
  }
  reportAuthentication(ctx, origin, key.id, { key, reason: 'not_a_verifier' }, resource.name);
  return {
    allowed: false,
    reason: 'not_a_verifier',
    detail: `API key ${key.id} may not verify keys for ${resource.name}: it needs to be scoped to that resource, or to be a Cloud API key whose owner holds ApiKey:Verify on it`,
  };
}

/** The CRN segments that name each kind of resource, and so what lies inside it. */
const resourceSegments: Record<DataPlaneResource['kind'], readonly string[]> = {
  Cluster: ['cloud-cluster', 'kafka'],
  SchemaRegistry: ['schema-registry'],
  ksqlDB: ['ksql'],
  Region: ['flink-region'],
  Tableflow: ['tableflow'],
};

function crnInside(target: Crn, resource: DataPlaneResource): boolean {
  const types = resourceSegments[resource.kind];
  const named = target.segments.some((s) => types.includes(s.type) && s.value.toLowerCase() === resource.id);
  return named && (resource.kind !== 'Region' || target.segments.some((s) => s.type === 'environment' && s.value === resource.environmentId));
}

/**
 * The authorization decision for a verified key's owner: may it perform `operation` on
 * `resourceCrn`? The CRN must lie inside the resource the key was verified for.
 */
export async function decideForKey(
  ctx: ServiceContext,
  verification: Extract<Verification, { valid: true }>,
  operation: string,
  resourceCrn: string,
  host: string | undefined,
): Promise<Decision> {
  const { key, resource } = verification;
  const target = parseCrn(resourceCrn);
  if (!target || !crnInside(target, resource)) {
    return { allowed: false, reason: 'invalid_resource', detail: `${resourceCrn} is not inside ${resource.name}, the resource the key was verified for` };
  }
  return authorize(ctx, principalName(key.ownerId), operation, resourceCrn, { host });
}
