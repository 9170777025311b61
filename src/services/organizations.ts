import { invalidField } from '../domain/errors.js';
import { checkText } from '../domain/text.js';
import type { Organization } from '../storage/schema.js';
import type { Page, PageRequest } from '../storage/store.js';
import { type Caller, can, ensure } from './access.js';
import { notFound, type ServiceContext, timestamp } from './context.js';

/** What a leak report (POST /v1/leaks) does to a live key: delete it at once, or only record the report. */
export const LEAK_POLICIES = ['revoke', 'notify'] as const;
export type LeakPolicy = (typeof LEAK_POLICIES)[number];

/** The stored policy; anything unrecognised counts as `revoke`, the safe one. */
export function leakPolicyOf(org: Pick<Organization, 'leakPolicy'> | undefined): LeakPolicy {
  return org?.leakPolicy === 'notify' ? 'notify' : 'revoke';
}

/** Confluent's limit on an organization's name: 1 to 31 characters, none of these. */
const ORGANIZATION_NAME_MAX = 31;
const FORBIDDEN_NAME_CHARS_RE = /[<>#%'*^`{|}~"]/;

/** A deployment has exactly one organization; the list is that one, when the caller may describe it. */
export async function listOrganizations(ctx: ServiceContext, caller: Caller, page: PageRequest): Promise<Page<Organization>> {
  const visible = can(ctx, caller, 'Organization:Describe', ctx.crn.organization()).allowed;
  return ctx.store.list('organizations', { id: visible ? ctx.orgId : [] }, page);
}

export async function getOrganization(ctx: ServiceContext, caller: Caller, id: string): Promise<Organization> {
  const org = id.toLowerCase() === ctx.orgId.toLowerCase() ? await ctx.store.get('organizations', ctx.orgId) : undefined;
  if (!org) throw notFound('organization_not_found', 'Organization', id);
  ensure(ctx, caller, 'Organization:Describe', ctx.crn.organization());
  return org;
}

export interface UpdateOrganizationInput {
  displayName?: string | undefined;
  /** Keyplane's in-use guard: deleting a principal whose keys were used lately needs `?force=true`. */
  inUseGuard?: boolean | undefined;
  leakPolicy?: LeakPolicy | undefined;
}

function checkOrganizationName(value: string): string {
  const displayName = checkText('/display_name', value, ORGANIZATION_NAME_MAX, { required: true });
  if (FORBIDDEN_NAME_CHARS_RE.test(displayName)) {
    throw invalidField('/display_name', `/display_name must not contain any of < > # % ' * ^ \` { | } ~ "`);
  }
  return displayName;
}

export async function updateOrganization(
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: UpdateOrganizationInput,
): Promise<Organization> {
  return ctx.store.transaction(async (tx) => {
    const current = id.toLowerCase() === ctx.orgId.toLowerCase() ? await tx.get('organizations', ctx.orgId) : undefined;
    if (!current) throw notFound('organization_not_found', 'Organization', id);
    ensure(ctx, caller, 'Organization:Alter', ctx.crn.organization());
    const displayName = input.displayName === undefined ? undefined : checkOrganizationName(input.displayName);
    const inUseGuard = input.inUseGuard === undefined ? undefined : input.inUseGuard ? 1 : 0;
    const updated = await tx.update('organizations', current.id, {
      displayName,
      inUseGuard,
      leakPolicy: input.leakPolicy,
      updatedAt: timestamp(ctx),
    });
    return updated!;
  });
}
