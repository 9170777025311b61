import { type BindingPattern, decide, parseBindingPattern } from '../domain/authorization.js';
import { CRN_AUTHORITY, type Crn, formatCrn, parseCrn } from '../domain/crn.js';
import { badField, KeyplaneError } from '../domain/errors.js';
import { hasIdShape, newId } from '../domain/ids.js';
import { findFlinkRegion } from '../domain/regions.js';
import type { RegisteredResourceType } from '../domain/resources.js';
import { isPrivileged, isRoleName, type RoleName, roleNames, roles } from '../domain/roles.js';
import type { RoleBinding } from '../storage/schema.js';
import type { Cursor, Page, PageRequest, Store, Where } from '../storage/store.js';
import { type Caller, isOrganizationAdmin, listAll, ORGANIZATION_ADMINS_LOCK, unauthorized } from './access.js';
import { onConflict, type ServiceContext, timestamp } from './context.js';

export const roleBindingPath = (id: string) => `/iam/v2/role-bindings/${id}`;

/** Longest CRN pattern accepted, in characters: room for a deep pattern with a long topic or subject name. */
export const CRN_PATTERN_MAX = 1024;

// What a stored pattern may hold: the characters of a URI path (RFC 3986) that need no escaping,
// and percent escapes, so that every pattern we answer with is a valid `format: uri`.
const URI_SAFE_RE = /^crn:\/\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]+$/;

// Segments whose values are ids, compared case-insensitively like every id; resource names
// inside a cluster (topics, groups, transactional ids, subjects) keep their case.
const idSegments = new Set(['organization', 'environment', 'cloud-cluster', 'kafka', 'schema-registry', 'ksql', 'flink-region', 'service-account', 'user']);

const PRINCIPAL_RE = /^User:(.+)$/;

/** `User:U-ABC123` → `User:u-abc123`; other text as it is. */
function normalisePrincipal(text: string): string {
  const match = PRINCIPAL_RE.exec(text.trim());
  return match ? `User:${match[1]!.trim().toLowerCase()}` : text.trim();
}

/** A CRN (or CRN pattern) with its authority and id values in lower case, or undefined when it is not one. */
function canonicalCrn(text: string): string | undefined {
  const crn = parseCrn(text.trim());
  if (!crn) return undefined;
  const segments = crn.segments.map((s) => (idSegments.has(s.type) ? { type: s.type, value: s.value.toLowerCase() } : s));
  return formatCrn(segments, crn.authority.toLowerCase());
}

const validRoles = () => roleNames.join(', ');

function checkRoleName(value: string): RoleName {
  const name = value.trim();
  if (!isRoleName(name)) throw badField('/role_name', `/role_name must be one of the predefined roles: ${validRoles()}`);
  return name;
}

async function checkPrincipal(store: Store, value: string): Promise<string> {
  const pointer = '/principal';
  const text = value.trim();
  if (/^Group:/i.test(text)) {
    throw badField(pointer, 'Group principals are not supported; bind the role to a user (User:u-…) or a service account (User:sa-…)');
  }
  const principal = normalisePrincipal(text);
  const id = PRINCIPAL_RE.exec(principal)?.[1] ?? '';
  const isUser = hasIdShape('user', id);
  if (!isUser && !hasIdShape('serviceAccount', id)) {
    throw badField(pointer, '/principal must be User:u-… (a user) or User:sa-… (a service account)');
  }
  const exists = isUser ? await store.get('users', id) : await store.get('serviceAccounts', id);
  if (!exists) throw badField(pointer, `The ${isUser ? 'user' : 'service account'} '${id}' does not exist`);
  return principal;
}

/** The pattern in its stored form, checked: this organization, every segment in place, URI characters only. */
function checkPattern(ctx: ServiceContext, value: string): { text: string; pattern: BindingPattern } {
  const pointer = '/crn_pattern';
  if (value.length > CRN_PATTERN_MAX) throw badField(pointer, `/crn_pattern must be at most ${CRN_PATTERN_MAX} characters`);
  const text = canonicalCrn(value);
  if (text !== undefined && !URI_SAFE_RE.test(text)) {
    throw badField(
      pointer,
      "/crn_pattern may hold only ASCII letters, digits and -._~!$&'()*+,;=:@ in its ids and names",
    );
  }
  const parsed = parseBindingPattern(text ?? value, ctx.orgId);
  if (!parsed.ok) throw badField(pointer, `/crn_pattern ${parsed.reason}`);
  return { text: text!, pattern: parsed.pattern };
}

/**
 * What a pattern names, for authorization: the pattern with the `*` stripped from its last
 * value, marked as a prefix. A binding reaches it exactly when it reaches everything the pattern
 * covers: `topic=ord*` reaches `topic=orders*`; neither `topic=or*`'s literal cousin
 * `topic=orders` nor anything at `topic=o*` is reached by `topic=ord*`.
 */
interface Scope {
  crn: Crn;
  prefix: boolean;
}

function scopeOf(pattern: BindingPattern): Scope {
  return { crn: { authority: CRN_AUTHORITY, segments: pattern.segments }, prefix: pattern.prefix };
}

/** The scope of a stored binding; one whose pattern no longer parses is the organization's to manage. */
function scopeOfStored(ctx: ServiceContext, crnPattern: string): Scope {
  const parsed = parseBindingPattern(crnPattern, ctx.orgId);
  return parsed.ok ? scopeOf(parsed.pattern) : { crn: parseCrn(ctx.crn.organization())!, prefix: false };
}

function allowed(ctx: ServiceContext, caller: Caller, operation: string, scope: Scope): boolean {
  return decide({
    principal: caller.principal,
    operation,
    resource: scope.crn,
    resourceIsPrefix: scope.prefix,
    orgId: ctx.orgId,
    bindings: caller.bindings,
  }).allowed;
}

/**
 * What the caller may do with a binding: `RoleBinding:<action>` on its scope; for a privileged
 * role (OrganizationAdmin, AccountAdmin), or any role bound on the whole organization, also be
 * an OrganizationAdmin, so nobody grants or takes away more than they hold.
 */
function mayManage(ctx: ServiceContext, caller: Caller, action: 'Create' | 'Delete', roleName: string, crnPattern: string, scope: Scope): void {
  const operation = `RoleBinding:${action}`;
  if (!allowed(ctx, caller, operation, scope)) throw unauthorized(caller, operation, crnPattern);
  const organizationWide = scope.crn.segments.length === 1;
  if ((isPrivileged(roleName) || organizationWide) && !isOrganizationAdmin(ctx, caller)) {
    const what = isPrivileged(roleName) ? roleName : `${roleName} on the whole organization`;
    throw new KeyplaneError(
      'user_unauthorized',
      `The principal '${caller.principal}' is not allowed to perform ${operation} for ${what}: only an OrganizationAdmin may grant or remove it`,
    );
  }
}

/** Whether the caller may see a binding: their own, or one whose scope they may describe bindings on. */
function visible(ctx: ServiceContext, caller: Caller, binding: RoleBinding): boolean {
  return binding.principal === caller.principal || allowed(ctx, caller, 'RoleBinding:Describe', scopeOfStored(ctx, binding.crnPattern));
}

/** The registry's resources, by the CRN segment that names them. */
const registeredAt = {
  'cloud-cluster': { type: 'kafka', noun: 'Kafka cluster' },
  'schema-registry': { type: 'schema-registry', noun: 'Schema Registry' },
  ksql: { type: 'ksqldb', noun: 'ksqlDB cluster' },
} as const satisfies Record<string, { type: RegisteredResourceType; noun: string }>;

/** Every object the pattern names must exist, each in the place the pattern puts it. */
async function checkTargetsExist(store: Store, pattern: BindingPattern): Promise<void> {
  const fail = (detail: string) => badField('/crn_pattern', detail);
  let environmentId = '';
  for (const [index, { type, value }] of pattern.segments.entries()) {
    const wildcard = pattern.prefix && index === pattern.segments.length - 1;
    if (wildcard) continue;
    switch (type) {
      case 'environment':
        if (!(await store.get('environments', value))) throw fail(`The environment '${value}' does not exist`);
        environmentId = value;
        break;
      case 'cloud-cluster':
      case 'schema-registry':
      case 'ksql': {
        const { type: registered, noun } = registeredAt[type];
        const row = await store.get('resources', value);
        if (!row || row.type !== registered) throw fail(`The ${noun} '${value}' does not exist`);
        if (row.environmentId !== environmentId) {
          throw fail(`The ${noun} '${value}' is in environment '${row.environmentId}', not '${environmentId}'`);
        }
        break;
      }
      case 'flink-region':
        if (!findFlinkRegion(value)) throw fail(`'${value}' is not a Flink region (see /fcpm/v2/regions)`);
        break;
      case 'service-account':
        if (!(await store.get('serviceAccounts', value))) throw fail(`The service account '${value}' does not exist`);
        break;
      case 'user':
        if (!(await store.get('users', value))) throw fail(`The user '${value}' does not exist`);
        break;
      default:
        // organization (checked by the parse), kafka (repeats the cluster), and names inside a
        // cluster, which Keyplane does not keep: a binding may precede the topic it names.
        break;
    }
  }
}

export interface CreateRoleBindingInput {
  principal: string;
  roleName: string;
  crnPattern: string;
}

export async function createRoleBinding(ctx: ServiceContext, caller: Caller, input: CreateRoleBindingInput): Promise<RoleBinding> {
  const roleName = checkRoleName(input.roleName);
  const { text, pattern } = checkPattern(ctx, input.crnPattern);
  const role = roles[roleName];
  if (!(role.scopes as readonly string[]).includes(pattern.scope)) {
    throw badField('/crn_pattern', `${roleName} can be bound at ${role.scopes.join(', ')}, not ${pattern.scope}`);
  }
  mayManage(ctx, caller, 'Create', roleName, text, scopeOf(pattern));
  return onConflict(
    // One transaction: the principal and the objects the pattern names are read where the
    // binding is written, so a concurrent delete cannot leave it naming what is gone.
    () =>
      ctx.store.transaction(async (tx) => {
        const principal = await checkPrincipal(tx, input.principal);
        await checkTargetsExist(tx, pattern);
        const binding: RoleBinding = {
          id: newId('roleBinding', ctx.randomBytes),
          principal,
          roleName,
          crnPattern: text,
          createdAt: timestamp(ctx),
        };
        await tx.insert('roleBindings', binding);
        return binding;
      }),
    async () => {
      const principal = normalisePrincipal(input.principal.trim());
      const existing = await ctx.store.find('roleBindings', { principal, roleName, crnPattern: text });
      return new KeyplaneError('resource_already_exists', `${principal} already has ${roleName} at ${text}`, {
        location: existing ? roleBindingPath(existing.id) : undefined,
      });
    },
  );
}

export interface RoleBindingFilter {
  /** Required: an exact pattern, `…/*` for a scope and everything in it, or `…*` for a text prefix. */
  crnPattern?: string | undefined;
  principal?: string | undefined;
  roleName?: string | undefined;
}

function invalidFilter(parameter: string, detail: string): KeyplaneError {
  return new KeyplaneError('invalid_filter', detail, { source: { parameter } });
}

/** The test a binding's pattern must pass for the `crn_pattern` filter. */
function patternFilter(raw: string): { exact?: string; test: (crnPattern: string) => boolean } {
  const text = raw.trim();
  if (text.length > CRN_PATTERN_MAX) throw invalidFilter('crn_pattern', `crn_pattern must be at most ${CRN_PATTERN_MAX} characters`);
  if (!/^crn:\/\//i.test(text)) {
    throw invalidFilter('crn_pattern', 'crn_pattern must be a CRN pattern such as crn://confluent.cloud/organization=<id>/environment=env-…/*');
  }
  const canonical = (t: string) => canonicalCrn(t) ?? t;
  if (text.endsWith('/*')) {
    const base = canonical(text.slice(0, -2));
    return { test: (p) => p === base || p.startsWith(`${base}/`) };
  }
  if (text.endsWith('*')) {
    const stem = text.slice(0, -1);
    const base = canonical(stem);
    return { test: (p) => p.startsWith(base) };
  }
  const exact = canonical(text);
  return { exact, test: (p) => p === exact };
}

/** List order, as the store pages: (createdAt, id). */
function byCreation(a: Cursor, b: Cursor): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The bindings the caller may see that match the filter, a page at a time in (createdAt, id) order. */
export async function listRoleBindings(ctx: ServiceContext, caller: Caller, filter: RoleBindingFilter, page: PageRequest): Promise<Page<RoleBinding>> {
  if (filter.crnPattern === undefined || filter.crnPattern.trim() === '') {
    throw invalidFilter('crn_pattern', 'The query parameter crn_pattern is required: an exact CRN pattern, or one ending in /* for a scope and everything in it');
  }
  const match = patternFilter(filter.crnPattern);
  const where: Where<'roleBindings'> = {};
  if (match.exact !== undefined) where.crnPattern = match.exact;
  if (filter.principal !== undefined) where.principal = normalisePrincipal(filter.principal);
  if (filter.roleName !== undefined) {
    const roleName = filter.roleName.trim();
    if (!isRoleName(roleName)) throw invalidFilter('role_name', `role_name must be one of the predefined roles: ${validRoles()}`);
    where.roleName = roleName;
  }
  const rows = (await listAll(ctx.store, 'roleBindings', where))
    .filter((b) => match.test(b.crnPattern) && visible(ctx, caller, b))
    .sort(byCreation);
  const after = page.after;
  const rest = after ? rows.filter((b) => byCreation(b, after) > 0) : rows;
  const items = rest.slice(0, page.limit);
  const last = items[items.length - 1];
  return {
    items,
    total: rows.length,
    ...(rest.length > page.limit && last ? { next: { createdAt: last.createdAt, id: last.id } } : {}),
  };
}

function notFoundBinding(id: string): KeyplaneError {
  const shown = /^[A-Za-z0-9-]{1,64}$/.test(id.trim()) ? ` '${id.trim()}'` : '';
  return new KeyplaneError('role_binding_not_found', `Role binding${shown} was not found`);
}

/** A binding by id (case-insensitive); one the caller may not see is answered like a missing one. */
async function visibleBinding(ctx: ServiceContext, store: Store, caller: Caller, id: string): Promise<RoleBinding> {
  const row = await store.get('roleBindings', id.trim().toLowerCase());
  if (!row || !visible(ctx, caller, row)) throw notFoundBinding(id);
  return row;
}

export async function getRoleBinding(ctx: ServiceContext, caller: Caller, id: string): Promise<RoleBinding> {
  return visibleBinding(ctx, ctx.store, caller, id);
}

/**
 * Deletes a binding and returns it. The organization's last OrganizationAdmin binding stays:
 * without it nobody could administer the organization again.
 */
export async function deleteRoleBinding(ctx: ServiceContext, caller: Caller, id: string): Promise<RoleBinding> {
  return ctx.store.transaction(async (tx) => {
    const binding = await visibleBinding(ctx, tx, caller, id);
    mayManage(ctx, caller, 'Delete', binding.roleName, binding.crnPattern, scopeOfStored(ctx, binding.crnPattern));
    const orgCrn = ctx.crn.organization();
    if (binding.roleName === 'OrganizationAdmin' && binding.crnPattern === orgCrn) {
      await tx.lock(ORGANIZATION_ADMINS_LOCK);
      const admins = await tx.count('roleBindings', { roleName: 'OrganizationAdmin', crnPattern: orgCrn });
      if (admins <= 1) {
        throw new KeyplaneError(
          'bad_request',
          `Role binding '${binding.id}' is the organization's last OrganizationAdmin binding; bind OrganizationAdmin to another principal first`,
        );
      }
    }
    // A concurrent delete of the same binding may have won since it was read.
    if (!(await tx.delete('roleBindings', binding.id))) throw notFoundBinding(id);
    return binding;
  });
}
