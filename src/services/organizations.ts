import { invalidField } from '../domain/errors.js';
import { checkText } from '../domain/text.js';
import type { Organization } from '../storage/schema.js';
import type { Page, PageRequest } from '../storage/store.js';
import { type ServiceContext, notFound, timestamp } from './context.js';

/** Confluent's limit on an organization's name: 1 to 31 characters, none of these. */
const ORGANIZATION_NAME_MAX = 31;
const FORBIDDEN_NAME_CHARS_RE = /[<>#%'*^`{|}~"]/;

/** A deployment has exactly one organization; the list is that one. */
export async function listOrganizations(ctx: ServiceContext, page: PageRequest): Promise<Page<Organization>> {
  return ctx.store.list('organizations', { id: ctx.orgId }, page);
}

export async function getOrganization(ctx: ServiceContext, id: string): Promise<Organization> {
  const org = id.toLowerCase() === ctx.orgId.toLowerCase() ? await ctx.store.get('organizations', ctx.orgId) : undefined;
  if (!org) throw notFound('organization_not_found', 'Organization', id);
  return org;
}

export interface UpdateOrganizationInput {
  displayName?: string | undefined;
}

export async function updateOrganization(
  ctx: ServiceContext,
  id: string,
  input: UpdateOrganizationInput,
): Promise<Organization> {
  let displayName: string | undefined;
  if (input.displayName !== undefined) {
    displayName = checkText('/display_name', input.displayName, ORGANIZATION_NAME_MAX, { required: true });
    if (FORBIDDEN_NAME_CHARS_RE.test(displayName)) {
      throw invalidField('/display_name', `/display_name must not contain any of < > # % ' * ^ \` { | } ~ "`);
    }
  }
  return ctx.store.transaction(async (tx) => {
    const current = id.toLowerCase() === ctx.orgId.toLowerCase() ? await tx.get('organizations', ctx.orgId) : undefined;
    if (!current) throw notFound('organization_not_found', 'Organization', id);
    const updated = await tx.update('organizations', current.id, { displayName, updatedAt: timestamp(ctx) });
    return updated!;
  });
}
