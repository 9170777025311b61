import {
  type AclRule,
  aclRequest,
  type BindingRule,
  blanketGrants,
  type Decision,
  decide,
  namedInBindings,
} from '../domain/authorization.js';
import { parseCrn } from '../domain/crn.js';
import { KeyplaneError } from '../domain/errors.js';
import { type BindingScope, isPrivileged } from '../domain/roles.js';
import type { Cursor, Row, Store, TableName, Where } from '../storage/store.js';
import type { Actor, ServiceContext } from './context.js';

/** Who is calling, with the role bindings that say what they may do; loaded once per request. */
export interface Caller {
  actor: Actor;
  /** `User:u-…` or `User:sa-…`, as role bindings and ACLs name principals. */
  principal: string;
  bindings: readonly BindingRule[];
}

export function principalName(principalId: string): string {
  return `User:${principalId}`;
}

/** Every row matching the filter, page by page: for tables kept small per filter (bindings, ACLs). */
export async function listAll<T extends TableName>(store: Store, table: T, where: Where<T>): Promise<Row<T>[]> {
  const out: Row<T>[] = [];
  let after: Cursor | undefined;
  do {
    const page = await store.list(table, where, { limit: 1000, after, total: false });
    out.push(...page.items);
    after = page.next;
  } while (after);
  return out;
}

function bindingsOf(store: Store, principal: string): Promise<BindingRule[]> {
  return listAll(store, 'roleBindings', { principal });
}

export async function callerFor(ctx: ServiceContext, actor: Actor): Promise<Caller> {
  const principal = principalName(actor.principalId);
  return { actor, principal, bindings: await bindingsOf(ctx.store, principal) };
}

/** What the caller's role bindings decide for `operation` on `resourceCrn` (management calls: no ACLs). */
export function can(ctx: ServiceContext, caller: Caller, operation: string, resourceCrn: string): Decision {
  const decision = decide({ principal: caller.principal, operation, resource: resourceCrn, orgId: ctx.orgId, bindings: caller.bindings });
  // Kept for the audit record of the call, where one is being made.
  ctx.decisions?.push({ ...decision, operation, resource: resourceCrn });
  return decision;
}

/** Throws `user_unauthorized` unless the caller may perform `operation` on `resourceCrn`. */
export function ensure(ctx: ServiceContext, caller: Caller, operation: string, resourceCrn: string): void {
  const decision = can(ctx, caller, operation, resourceCrn);
  if (!decision.allowed) throw unauthorized(caller, operation, resourceCrn);
}

export function unauthorized(caller: Caller, operation: string, resourceCrn: string): KeyplaneError {
  return new KeyplaneError(
    'user_unauthorized',
    `The principal '${caller.principal}' is not allowed to perform ${operation} on ${resourceCrn}`,
  );
}

/** Whether the caller may perform `operation` on every object of `scope` in the organization. */
export function canEverywhere(ctx: ServiceContext, caller: Caller, operation: string, scope: BindingScope): boolean {
  return blanketGrants(caller.principal, caller.bindings, ctx.orgId, operation, scope).organization;
}

/**
 * Where the caller may perform `operation` on every object of `scope`: the whole organization,
 * or the listed environments. For list filters; rows named one by one come from `namedIds`.
 */
export function blanket(ctx: ServiceContext, caller: Caller, operation: string, scope: BindingScope) {
  return blanketGrants(caller.principal, caller.bindings, ctx.orgId, operation, scope);
}

/**
 * The ids of `segmentType` named in the caller's bindings for which `crnOf(id)` passes
 * `operation`: the candidates come from the bindings, and each is decided as a single call would be.
 */
export function namedIds(
  ctx: ServiceContext,
  caller: Caller,
  segmentType: BindingScope,
  operation: string,
  crnOf: (id: string) => string,
): string[] {
  return namedInBindings(caller.principal, caller.bindings, ctx.orgId, segmentType).filter(
    (id) => can(ctx, caller, operation, crnOf(id)).allowed,
  );
}

/** Taken by every transaction that removes an OrganizationAdmin binding, so one always remains. */
export const ORGANIZATION_ADMINS_LOCK = 'organization-admins';

/** Whether the caller holds OrganizationAdmin on the organization: the one role above every other. */
export function isOrganizationAdmin(ctx: ServiceContext, caller: Caller): boolean {
  const org = ctx.crn.organization();
  return caller.bindings.some((b) => b.roleName === 'OrganizationAdmin' && b.crnPattern === org);
}

/**
 * Acting on another principal's credentials or account must not reach past the caller's own
 * standing: a key for a principal lets its holder act as that principal, and removing one can
 * lock others out. So each privileged binding (OrganizationAdmin, AccountAdmin) the target
 * holds must be held by the caller too, the same role at the same pattern, unless the caller is
 * an OrganizationAdmin. Read inside the transaction that acts, so a binding added meanwhile counts.
 */
export async function ensureStandingOver(
  ctx: ServiceContext,
  store: Store,
  caller: Caller,
  principalId: string,
  operation: string,
  resourceCrn: string,
): Promise<void> {
  if (principalId === caller.actor.principalId || isOrganizationAdmin(ctx, caller)) return;
  const theirs = await listAll(store, 'roleBindings', { principal: principalName(principalId) });
  const beyond = theirs.find(
    (b) =>
      isPrivileged(b.roleName) &&
      !caller.bindings.some((mine) => mine.roleName === b.roleName && mine.crnPattern === b.crnPattern),
  );
  if (beyond) {
    throw new KeyplaneError(
      'user_unauthorized',
      `The principal '${caller.principal}' is not allowed to perform ${operation} on ${resourceCrn}: '${principalName(principalId)}' holds ${beyond.roleName}, which the caller does not`,
    );
  }
}

export interface AuthorizeOptions {
  /** The client's address, for ACLs that name a host. */
  host?: string | undefined;
}

/**
 * The one authorization decision: may `principal` (`User:u-…`, `User:sa-…`) perform `operation`
 * on `resourceCrn`? Combines the principal's role bindings with the Kafka ACLs of the cluster
 * the resource is in; a DENY ACL wins. Returns the decision with its reason.
 */
export async function authorize(
  ctx: ServiceContext,
  principal: string,
  operation: string,
  resourceCrn: string,
  options: AuthorizeOptions = {},
): Promise<Decision> {
  const target = parseCrn(resourceCrn);
  const request = target && aclRequest(operation, target);
  const [bindings, acls] = await Promise.all([
    bindingsOf(ctx.store, principal),
    request ? listAll(ctx.store, 'kafkaAcls', { clusterId: request.clusterId, principal: [principal, 'User:*'] }) : [],
  ]);
  return decide({
    principal,
    operation,
    resource: target ?? resourceCrn,
    orgId: ctx.orgId,
    bindings,
    acls: acls as AclRule[],
    host: options.host,
  });
}
