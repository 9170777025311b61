import { isIP } from 'node:net';
import {
  type AclOperation,
  type AclPatternType,
  type AclPermission,
  type AclResourceType,
  aclOperations,
  aclPatternTypes,
  aclPermissions,
  aclResourceTypes,
} from '../domain/authorization.js';
import { badField, KeyplaneError } from '../domain/errors.js';
import { hasIdShape, newId, principalKindOf } from '../domain/ids.js';
import { checkText } from '../domain/text.js';
import type { KafkaAcl } from '../storage/schema.js';
import { type Store, UniqueViolation, type Where } from '../storage/store.js';
import { type Caller, can, listAll, unauthorized } from './access.js';
import { notFound, type ServiceContext, timestamp } from './context.js';
import { requirePrincipal } from './principals.js';

/** Kafka's name for the one resource of type CLUSTER. */
export const KAFKA_CLUSTER_RESOURCE = 'kafka-cluster';
/** Longest resource name, principal or host an ACL may hold (Kafka's topic names stop at 249). */
export const ACL_TEXT_MAX = 255;
const HOST_MAX = 64;

export const kafkaAclsPath = (clusterId: string) => `/kafka/v3/clusters/${clusterId}/acls`;

/** The seven fields that make an ACL what it is, by Kafka REST's names. */
export function aclRule(acl: KafkaAcl) {
  return {
    resource_type: acl.resourceType,
    resource_name: acl.resourceName,
    pattern_type: acl.patternType,
    principal: acl.principal,
    host: acl.host,
    operation: acl.operation,
    permission: acl.permission,
  };
}

/** The ACL's `self`: the collection filtered down to exactly this rule, as Kafka REST writes it. */
export function kafkaAclPath(acl: KafkaAcl): string {
  return `${kafkaAclsPath(acl.clusterId)}?${new URLSearchParams(aclRule(acl))}`;
}

/** One ACL as a client sends it, in Kafka REST's terms; every field is required. */
export interface KafkaAclInput {
  resourceType?: string | undefined;
  resourceName?: string | undefined;
  patternType?: string | undefined;
  principal?: string | undefined;
  host?: string | undefined;
  operation?: string | undefined;
  permission?: string | undefined;
}

/** A search as Kafka's AclBindingFilter: absent fields match anything. */
export type KafkaAclFilterInput = KafkaAclInput;

/** The checked rule: what the `kafkaAcls` row holds besides its id and timestamp. */
export interface KafkaAclRule {
  clusterId: string;
  resourceType: AclResourceType;
  resourceName: string;
  patternType: AclPatternType;
  principal: string;
  host: string;
  operation: AclOperation;
  permission: AclPermission;
}

/** MATCH finds the ACLs that apply to a named resource; see `whereOf`. */
type FilterPatternType = 'ANY' | 'MATCH' | AclPatternType;

interface AclFilter {
  resourceType?: AclResourceType;
  resourceName?: string;
  patternType: FilterPatternType;
  principal?: string;
  host?: string;
  operation?: AclOperation;
  permission?: AclPermission;
}

/** Enum values are matched without regard to case and kept in Kafka's upper case. */
function enumValue<T extends string>(allowed: readonly T[], value: string): T | undefined {
  const upper = value.trim().toUpperCase();
  return allowed.find((a) => a === upper);
}

const USER_PREFIX = 'User:';

/** `User:u-…` / `User:sa-…` with the id in lower case, as ids are stored; other text unchanged. */
function canonicalPrincipal(text: string): string {
  const value = text.trim();
  if (!value.startsWith(USER_PREFIX)) return value;
  const id = value.slice(USER_PREFIX.length).toLowerCase();
  return principalKindOf(id) ? `${USER_PREFIX}${id}` : value;
}

function required(field: string, value: string | undefined): string {
  if (value === undefined) throw badField(`/${field}`, `${field} is required`);
  return value;
}

function requiredEnum<T extends string>(field: string, allowed: readonly T[], value: string | undefined): T {
  const found = enumValue(allowed, required(field, value));
  if (!found) throw badField(`/${field}`, `${field} must be one of ${allowed.join(', ')}`);
  return found;
}

/** Checks every field of an ACL to be created; the principal's existence is checked in the transaction. */
function checkRule(input: KafkaAclInput): Omit<KafkaAclRule, 'clusterId'> {
  const resourceType = requiredEnum('resource_type', aclResourceTypes, input.resourceType);
  const resourceName = checkText('/resource_name', required('resource_name', input.resourceName), ACL_TEXT_MAX, { required: true });
  const patternType = requiredEnum('pattern_type', aclPatternTypes, input.patternType);
  if (resourceType === 'CLUSTER' && resourceName !== KAFKA_CLUSTER_RESOURCE) {
    throw badField('/resource_name', `The resource_name of a CLUSTER ACL must be '${KAFKA_CLUSTER_RESOURCE}'`);
  }
  const principalText = checkText('/principal', required('principal', input.principal), ACL_TEXT_MAX, { required: true });
  const principal = canonicalPrincipal(principalText);
  const principalId = principal.slice(USER_PREFIX.length);
  if (principal !== 'User:*' && !(principal.startsWith(USER_PREFIX) && principalKindOf(principalId))) {
    throw badField('/principal', "principal must be 'User:u-…' (a user), 'User:sa-…' (a service account) or 'User:*' (everyone)");
  }
  const hostText = checkText('/host', required('host', input.host), HOST_MAX, { required: true }).trim();
  if (hostText !== '*' && isIP(hostText) === 0) throw badField('/host', "host must be '*' or an IPv4 or IPv6 address");
  const host = hostText.toLowerCase();
  const operation = requiredEnum('operation', aclOperations, input.operation);
  const permission = requiredEnum('permission', aclPermissions, input.permission);
  return { resourceType, resourceName, patternType, principal, host, operation, permission };
}

function invalidFilter(parameter: string, detail: string): KeyplaneError {
  return new KeyplaneError('invalid_filter', detail, { source: { parameter } });
}

function filterEnum<T extends string>(parameter: string, allowed: readonly T[], value: string | undefined, isRequired: boolean): T | 'ANY' | undefined {
  if (value === undefined) {
    if (isRequired) {
      throw invalidFilter(parameter, `The ${parameter} query parameter is required (ANY matches every value)`);
    }
    return undefined;
  }
  const found = enumValue(['ANY', ...allowed] as const, value);
  if (!found) throw invalidFilter(parameter, `${parameter} must be one of ANY, ${allowed.join(', ')}`);
  return found;
}

function filterText(parameter: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > ACL_TEXT_MAX) throw invalidFilter(parameter, `${parameter} must be at most ${ACL_TEXT_MAX} characters`);
  if (!value.isWellFormed()) throw invalidFilter(parameter, `${parameter} must be valid Unicode (it holds a lone surrogate)`);
  return value;
}

/**
 * Reads a filter. A delete must name its resource type, pattern type, operation and permission
 * (ANY allowed), as Kafka REST requires, so that a bare request cannot remove every ACL.
 */
function checkFilter(input: KafkaAclFilterInput, forDelete: boolean): AclFilter {
  const anyToUndefined = <T>(v: T | 'ANY' | undefined) => (v === 'ANY' ? undefined : v);
  const resourceType = anyToUndefined(filterEnum('resource_type', aclResourceTypes, input.resourceType, forDelete));
  const patternType = filterEnum('pattern_type', ['MATCH', ...aclPatternTypes], input.patternType, forDelete) ?? 'ANY';
  const operation = anyToUndefined(filterEnum('operation', aclOperations, input.operation, forDelete));
  const permission = anyToUndefined(filterEnum('permission', aclPermissions, input.permission, forDelete));
  const principal = filterText('principal', input.principal);
  const host = filterText('host', input.host);
  const filter: AclFilter = { patternType };
  const resourceName = filterText('resource_name', input.resourceName);
  if (resourceType) filter.resourceType = resourceType;
  if (resourceName !== undefined) filter.resourceName = resourceName;
  if (principal !== undefined) filter.principal = canonicalPrincipal(principal);
  if (host !== undefined) filter.host = host.trim().toLowerCase();
  if (operation) filter.operation = operation;
  if (permission) filter.permission = permission;
  return filter;
}

/** The names a PREFIXED ACL must have to apply to `name`: every non-empty prefix of it. */
function prefixesOf(name: string): string[] {
  const out: string[] = [];
  for (let i = 1; i <= name.length; i++) {
    const prefix = name.slice(0, i);
    if (prefix.isWellFormed()) out.push(prefix);
  }
  return out;
}

/**
 * The filter as a store query. MATCH with a name finds the ACLs that would apply to that
 * resource: LITERAL ones of that name or `*`, PREFIXED ones whose name begins it.
 */
function whereOf(clusterId: string, filter: AclFilter): Where<'kafkaAcls'> {
  const where: Where<'kafkaAcls'> = { clusterId };
  if (filter.resourceType) where.resourceType = filter.resourceType;
  if (filter.principal !== undefined) where.principal = filter.principal;
  if (filter.host !== undefined) where.host = filter.host;
  if (filter.operation) where.operation = filter.operation;
  if (filter.permission) where.permission = filter.permission;
  if (filter.patternType === 'LITERAL' || filter.patternType === 'PREFIXED') where.patternType = filter.patternType;
  if (filter.resourceName !== undefined) {
    if (filter.patternType === 'MATCH') {
      where.anyOf = [
        { patternType: 'LITERAL', resourceName: [filter.resourceName, '*'] },
        { patternType: 'PREFIXED', resourceName: prefixesOf(filter.resourceName) },
      ];
    } else {
      where.resourceName = filter.resourceName;
    }
  }
  return where;
}

/**
 * The Kafka cluster a request names, once the caller may perform `operation` on it. A cluster
 * the caller cannot even describe answers as a missing one does, so its existence does not leak.
 */
async function requireCluster(ctx: ServiceContext, store: Store, caller: Caller, rawId: string, operation: string): Promise<string> {
  const id = rawId.trim().toLowerCase();
  const row = hasIdShape('kafkaCluster', id) ? await store.get('resources', id) : undefined;
  const missing = () => notFound('kafka_cluster_not_found', 'Kafka cluster', rawId.length > 64 ? `${rawId.slice(0, 64)}…` : rawId);
  if (row?.type !== 'kafka') throw missing();
  const crn = ctx.crn.kafkaCluster(row.environmentId, row.id);
  if (!can(ctx, caller, operation, crn).allowed) {
    if (!can(ctx, caller, 'KafkaCluster:Describe', crn).allowed) throw missing();
    throw unauthorized(caller, operation, crn);
  }
  return row.id;
}

function byCreation(a: KafkaAcl, b: KafkaAcl): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Adds an ACL to a cluster (`Acl:Create` on the cluster). Adding one that exists already
 * succeeds and changes nothing, as in Kafka; the existing ACL is returned.
 */
export async function createKafkaAcl(ctx: ServiceContext, caller: Caller, clusterId: string, input: KafkaAclInput): Promise<KafkaAcl> {
  const checked = checkRule(input);
  let acl: KafkaAcl | undefined;
  try {
    return await ctx.store.transaction(async (tx) => {
      const cluster = await requireCluster(ctx, tx, caller, clusterId, 'Acl:Create');
      if (checked.principal !== 'User:*') await requirePrincipal(tx, checked.principal.slice(USER_PREFIX.length), '/principal');
      acl = { id: newId('kafkaAcl', ctx.randomBytes), clusterId: cluster, ...checked, createdAt: timestamp(ctx) };
      await tx.insert('kafkaAcls', acl);
      return acl;
    });
  } catch (error) {
    // The unique index over the rule decides: a second identical ACL is the first one.
    if (!(error instanceof UniqueViolation) || !acl) throw error;
    const { id: _id, createdAt: _createdAt, ...rule } = acl;
    return (await ctx.store.find('kafkaAcls', rule)) ?? acl;
  }
}

/** The cluster's ACLs that match the filter, oldest first (`Acl:Describe` on the cluster). */
export async function listKafkaAcls(
  ctx: ServiceContext,
  caller: Caller,
  clusterId: string,
  filterInput: KafkaAclFilterInput,
): Promise<KafkaAcl[]> {
  const filter = checkFilter(filterInput, false);
  const id = await requireCluster(ctx, ctx.store, caller, clusterId, 'Acl:Describe');
  return listAll(ctx.store, 'kafkaAcls', whereOf(id, filter));
}

/**
 * Deletes the cluster's ACLs that match the filter and returns them (`Acl:Delete` on the
 * cluster). The resource type, pattern type, operation and permission must be given.
 */
export async function deleteKafkaAcls(
  ctx: ServiceContext,
  caller: Caller,
  clusterId: string,
  filterInput: KafkaAclFilterInput,
): Promise<KafkaAcl[]> {
  const filter = checkFilter(filterInput, true);
  return ctx.store.transaction(async (tx) => {
    const id = await requireCluster(ctx, tx, caller, clusterId, 'Acl:Delete');
    const deleted = await tx.deleteWhere('kafkaAcls', whereOf(id, filter));
    return deleted.sort(byCreation);
  });
}
