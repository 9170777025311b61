/**
 * Authorization decisions, as a pure function of a principal's role bindings and the Kafka ACLs
 * that name it. Role bindings grant what their role grants at their CRN pattern and below;
 * an ACL ALLOW grants one Kafka operation; an ACL DENY refuses it whatever else grants it.
 */
import { CRN_AUTHORITY, type Crn, type CrnSegment, parseCrn } from './crn.js';
import {
  type BindingScope,
  bindingScopes,
  crnObjectTypes,
  isRoleName,
  type RoleName,
  roleGrants,
  scopeParents,
  wildcardScopes,
} from './roles.js';

/** A role binding's pattern, checked: every segment in its place, a wildcard only at the end. */
export interface BindingPattern {
  segments: CrnSegment[];
  /** The segment type the pattern ends in: where the role is bound. */
  scope: BindingScope;
  /** The last value ended in `*`; `segments` holds it without the star. */
  prefix: boolean;
}

export type PatternCheck = { ok: true; pattern: BindingPattern } | { ok: false; reason: string };

function isScope(type: string): type is BindingScope {
  return (bindingScopes as readonly string[]).includes(type);
}

/** Checks a role binding's CRN pattern against the organization it must belong to. */
export function parseBindingPattern(text: string, orgId: string): PatternCheck {
  const crn = parseCrn(text);
  if (!crn) return { ok: false, reason: 'is not a CRN of the form crn://confluent.cloud/organization=<id>/<type>=<id>…' };
  if (crn.authority !== CRN_AUTHORITY) return { ok: false, reason: `must name the authority ${CRN_AUTHORITY}` };
  const [first, ...rest] = crn.segments;
  if (first?.type !== 'organization' || first.value !== orgId) {
    return { ok: false, reason: `must begin with organization=${orgId}, this organization` };
  }
  const segments: CrnSegment[] = [first];
  let prefix = false;
  for (const [index, segment] of rest.entries()) {
    const previous = segments[segments.length - 1]!;
    if (!isScope(segment.type) || segment.type === 'organization') {
      return { ok: false, reason: `has a segment of unknown type '${segment.type}'` };
    }
    if (scopeParents[segment.type] !== previous.type) {
      return { ok: false, reason: `cannot have ${segment.type}= right after ${previous.type}=` };
    }
    let value = segment.value;
    if (value.includes('*')) {
      const last = index === rest.length - 1;
      if (!last || !wildcardScopes.includes(segment.type) || value.indexOf('*') !== value.length - 1) {
        return { ok: false, reason: `may end in * only after ${wildcardScopes.join('=, ')}=` };
      }
      value = value.slice(0, -1);
      prefix = true;
    }
    if (segment.type === 'kafka' && value !== previous.value) {
      return { ok: false, reason: `kafka=${value} must repeat the cloud-cluster id ${previous.value}` };
    }
    segments.push({ type: segment.type, value });
  }
  return { ok: true, pattern: { segments, scope: segments[segments.length - 1]!.type as BindingScope, prefix } };
}

/**
 * Whether a binding at `pattern` reaches the object `target` names (the object itself or
 * something inside it). With `targetIsPrefix` the target's last value stands for every name
 * starting with it (`topic=ord*`): a literal binding at that depth reaches one such name, not
 * all of them, so it does not reach the target.
 */
export function patternReaches(pattern: BindingPattern, target: Crn, targetIsPrefix = false): boolean {
  const n = pattern.segments.length;
  if (target.authority !== CRN_AUTHORITY || target.segments.length < n) return false;
  if (targetIsPrefix && target.segments.length === n && !pattern.prefix) return false;
  for (let i = 0; i < n; i++) {
    const want = pattern.segments[i]!;
    const have = target.segments[i]!;
    if (want.type !== have.type) return false;
    const lastWithPrefix = pattern.prefix && i === n - 1;
    if (lastWithPrefix ? !have.value.startsWith(want.value) : have.value !== want.value) return false;
  }
  return true;
}

/** Whether `target` is strictly above the pattern: an organization, environment or cluster holding it. */
function containsPattern(target: Crn, pattern: BindingPattern): boolean {
  if (target.authority !== CRN_AUTHORITY || target.segments.length >= pattern.segments.length) return false;
  return target.segments.every((s, i) => s.type === pattern.segments[i]!.type && s.value === pattern.segments[i]!.value);
}

export const aclResourceTypes = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'] as const;
export type AclResourceType = (typeof aclResourceTypes)[number];
export const aclPatternTypes = ['LITERAL', 'PREFIXED'] as const;
export type AclPatternType = (typeof aclPatternTypes)[number];
export const aclOperations = [
  'ALL',
  'READ',
  'WRITE',
  'CREATE',
  'DELETE',
  'ALTER',
  'DESCRIBE',
  'CLUSTER_ACTION',
  'DESCRIBE_CONFIGS',
  'ALTER_CONFIGS',
  'IDEMPOTENT_WRITE',
] as const;
export type AclOperation = (typeof aclOperations)[number];
export const aclPermissions = ['ALLOW', 'DENY'] as const;
export type AclPermission = (typeof aclPermissions)[number];

/** A Kafka ACL as the decision needs it. */
export interface AclRule {
  id?: string;
  clusterId: string;
  principal: string;
  resourceType: AclResourceType;
  resourceName: string;
  patternType: AclPatternType;
  operation: AclOperation;
  host: string;
  permission: AclPermission;
}

/** A role binding as the decision needs it. */
export interface BindingRule {
  id: string;
  principal: string;
  roleName: string;
  crnPattern: string;
}

const aclTypeOf: Record<string, AclResourceType> = {
  Topic: 'TOPIC',
  Group: 'GROUP',
  TransactionalId: 'TRANSACTIONAL_ID',
  KafkaCluster: 'CLUSTER',
};

const aclOperationOf: Record<string, AclOperation> = {
  Read: 'READ',
  Write: 'WRITE',
  Create: 'CREATE',
  Delete: 'DELETE',
  Alter: 'ALTER',
  Describe: 'DESCRIBE',
  ClusterAction: 'CLUSTER_ACTION',
  DescribeConfigs: 'DESCRIBE_CONFIGS',
  AlterConfigs: 'ALTER_CONFIGS',
  IdempotentWrite: 'IDEMPOTENT_WRITE',
};

/** Kafka's implied operations: allowing any of these also allows the key. */
const impliedBy: Partial<Record<AclOperation, AclOperation[]>> = {
  DESCRIBE: ['READ', 'WRITE', 'DELETE', 'ALTER'],
  DESCRIBE_CONFIGS: ['ALTER_CONFIGS'],
};

/** What an operation on a CRN inside a Kafka cluster is, in ACL terms; undefined outside Kafka. */
export function aclRequest(operation: string, target: Crn): { clusterId: string; resourceType: AclResourceType; resourceName: string; operation: AclOperation } | undefined {
  const [type, action] = operation.split(':');
  const resourceType = aclTypeOf[type ?? ''];
  const aclOperation = aclOperationOf[action ?? ''];
  const cluster = target.segments.find((s) => s.type === 'cloud-cluster');
  if (!resourceType || !aclOperation || !cluster) return undefined;
  const segmentType = { TOPIC: 'topic', GROUP: 'group', TRANSACTIONAL_ID: 'transactional-id', CLUSTER: 'kafka' }[resourceType];
  const last = target.segments[target.segments.length - 1]!;
  if (resourceType === 'CLUSTER') {
    if (last.type !== 'cloud-cluster' && last.type !== 'kafka') return undefined;
    return { clusterId: cluster.value, resourceType, resourceName: 'kafka-cluster', operation: aclOperation };
  }
  if (last.type !== segmentType) return undefined;
  return { clusterId: cluster.value, resourceType, resourceName: last.value, operation: aclOperation };
}

function aclNames(acl: AclRule, request: NonNullable<ReturnType<typeof aclRequest>>, principal: string, host: string | undefined): boolean {
  if (acl.clusterId !== request.clusterId || acl.resourceType !== request.resourceType) return false;
  if (acl.principal !== principal && acl.principal !== 'User:*') return false;
  if (acl.host !== '*' && acl.host !== host) return false;
  if (acl.patternType === 'PREFIXED') return request.resourceName.startsWith(acl.resourceName);
  return acl.resourceName === '*' || acl.resourceName === request.resourceName;
}

export type DecisionReason =
  | 'role_binding'
  | 'acl_allow'
  | 'acl_deny'
  | 'self'
  | 'contains_bound_resource'
  | 'no_grant'
  | 'invalid_resource';

export interface Decision {
  allowed: boolean;
  reason: DecisionReason;
  /** One sentence a person can read; never holds a secret. */
  detail: string;
  /** The binding that granted the operation. */
  binding?: { id: string; roleName: RoleName; crnPattern: string };
  /** The ACL that allowed or denied it. */
  acl?: AclRule;
}

export interface DecisionInput {
  /** `User:u-…` or `User:sa-…`. */
  principal: string;
  operation: string;
  /** The CRN of the object acted on. */
  resource: string | Crn;
  orgId: string;
  bindings: readonly BindingRule[];
  /** The ACLs of the cluster the resource is in (others are ignored). */
  acls?: readonly AclRule[];
  /** The client's address, for ACLs that name a host; without it only `*` ACLs apply. */
  host?: string | undefined;
  /** The resource's last value is a prefix standing for every name that starts with it (see patternReaches). */
  resourceIsPrefix?: boolean;
}

function lastSegment(target: Crn): CrnSegment | undefined {
  return target.segments[target.segments.length - 1];
}

/**
 * Decides whether `principal` may perform `operation` on `resource`. A DENY ACL wins over
 * everything; then a principal may always describe itself; then role bindings; then an object
 * that holds something a principal has a role on is visible to it (`<Type>:Describe` only);
 * then ALLOW ACLs. Anything else is refused.
 */
export function decide(input: DecisionInput): Decision {
  const target = typeof input.resource === 'string' ? parseCrn(input.resource) : input.resource;
  const last = target && lastSegment(target);
  if (!target || !last || target.segments[0]?.type !== 'organization' || target.segments[0].value !== input.orgId) {
    return { allowed: false, reason: 'invalid_resource', detail: 'The resource is not a CRN of this organization' };
  }
  const { principal, operation } = input;
  const request = aclRequest(operation, target);
  const acls = request ? (input.acls ?? []).filter((acl) => aclNames(acl, request, principal, input.host)) : [];
  const matchesOperation = (acl: AclRule, implied: boolean) =>
    acl.operation === 'ALL' ||
    acl.operation === request!.operation ||
    (implied && (impliedBy[request!.operation] ?? []).includes(acl.operation));

  const deny = acls.find((acl) => acl.permission === 'DENY' && matchesOperation(acl, false));
  if (deny) {
    return { allowed: false, reason: 'acl_deny', detail: `A DENY ACL on ${deny.resourceType} '${deny.resourceName}' refuses ${deny.operation}`, acl: deny };
  }

  const [principalType, principalId] = principal.split(':');
  const targetScope = isScope(last.type) ? last.type : undefined;
  if (
    principalType === 'User' &&
    principalId === last.value &&
    ((last.type === 'user' && operation === 'User:Describe') || (last.type === 'service-account' && operation === 'ServiceAccount:Describe'))
  ) {
    return { allowed: true, reason: 'self', detail: 'A principal may always read itself' };
  }

  const patterns = boundPatterns(principal, input.bindings, input.orgId);

  for (const { binding, role, pattern } of patterns) {
    if (patternReaches(pattern, target, input.resourceIsPrefix) && roleGrants(role, operation, targetScope)) {
      return {
        allowed: true,
        reason: 'role_binding',
        detail: `${role} at ${binding.crnPattern} grants ${operation}`,
        binding: { id: binding.id, roleName: role, crnPattern: binding.crnPattern },
      };
    }
  }

  if (targetScope && operation === `${crnObjectTypes[targetScope]}:Describe`) {
    const inside = patterns.find(({ pattern }) => containsPattern(target, pattern));
    if (inside) {
      return {
        allowed: true,
        reason: 'contains_bound_resource',
        detail: `${inside.role} at ${inside.binding.crnPattern} is inside it`,
        binding: { id: inside.binding.id, roleName: inside.role, crnPattern: inside.binding.crnPattern },
      };
    }
  }

  const allow = acls.find((acl) => acl.permission === 'ALLOW' && matchesOperation(acl, true));
  if (allow) {
    return { allowed: true, reason: 'acl_allow', detail: `An ALLOW ACL on ${allow.resourceType} '${allow.resourceName}' grants ${allow.operation}`, acl: allow };
  }
  return { allowed: false, reason: 'no_grant', detail: `No role binding or ACL grants ${principal} ${operation}` };
}

type BoundPattern = { binding: BindingRule; role: RoleName; pattern: BindingPattern };

/**
 * Parsed patterns by bindings list, principal and organization. One request decides many
 * operations over the same caller's bindings; each list is parsed once, and forgotten with it.
 */
const parsedLists = new WeakMap<readonly BindingRule[], Map<string, BoundPattern[]>>();

/** The principal's bindings whose patterns parse, with their roles. */
function boundPatterns(principal: string, bindings: readonly BindingRule[], orgId: string): BoundPattern[] {
  let byPrincipal = parsedLists.get(bindings);
  if (!byPrincipal) {
    byPrincipal = new Map();
    parsedLists.set(bindings, byPrincipal);
  }
  const key = `${principal} ${orgId}`;
  let out = byPrincipal.get(key);
  if (out) return out;
  out = [];
  for (const binding of bindings) {
    if (binding.principal !== principal || !isRoleName(binding.roleName)) continue;
    const parsed = parseBindingPattern(binding.crnPattern, orgId);
    if (parsed.ok) out.push({ binding, role: binding.roleName, pattern: parsed.pattern });
  }
  byPrincipal.set(key, out);
  return out;
}

/**
 * Where the bindings grant `operation` on every object of type `targetScope` beneath them: the
 * whole organization, or whole environments. Lists use it to filter by column instead of
 * deciding row by row; the rows a binding names one by one come from `namedInBindings`.
 */
export function blanketGrants(
  principal: string,
  bindings: readonly BindingRule[],
  orgId: string,
  operation: string,
  targetScope: BindingScope,
): { organization: boolean; environments: string[] } {
  let organization = false;
  const environments = new Set<string>();
  for (const { role, pattern } of boundPatterns(principal, bindings, orgId)) {
    if (!roleGrants(role, operation, targetScope)) continue;
    if (pattern.scope === 'organization') organization = true;
    if (pattern.scope === 'environment') environments.add(pattern.segments[1]!.value);
  }
  return { organization, environments: [...environments] };
}

/** The ids of type `segmentType` that the principal's binding patterns name (wildcards excluded). */
export function namedInBindings(principal: string, bindings: readonly BindingRule[], orgId: string, segmentType: BindingScope): string[] {
  const ids = new Set<string>();
  for (const { pattern } of boundPatterns(principal, bindings, orgId)) {
    pattern.segments.forEach((segment, i) => {
      const wildcard = pattern.prefix && i === pattern.segments.length - 1;
      if (segment.type === segmentType && !wildcard) ids.add(segment.value);
    });
  }
  return [...ids];
}
