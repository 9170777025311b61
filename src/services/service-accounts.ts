import { badField, KeyplaneError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { checkText, textLimits } from '../domain/text.js';
import type { ServiceAccount } from '../storage/schema.js';
import type { Page, PageRequest, Where } from '../storage/store.js';
import { type Caller, canEverywhere, ensure, ensureStandingOver, namedIds } from './access.js';
import { onConflict, requireRow, type ServiceContext, timestamp } from './context.js';
import { type DeleteOptions, ensurePrincipalNotInUse } from './key-usage.js';
import { deletePrincipalBelongings } from './principals.js';
import { consumeQuotas, releaseQuotas } from './quota-guard.js';

export const serviceAccountPath = (id: string) => `/iam/v2/service-accounts/${id}`;

export interface CreateServiceAccountInput {
  /** Required; absent is refused here so that every caller gets the same answer. */
  displayName?: string | undefined;
  description?: string | undefined;
}

/**
 * Display names are unique across the organization. The unique index decides, so two racing
 * requests for one name cannot both win; the loser is told where the winner lives.
 */
async function nameTaken(ctx: ServiceContext, displayName: string): Promise<KeyplaneError> {
  const existing = await ctx.store.find('serviceAccounts', { displayName });
  return new KeyplaneError('resource_already_exists', `Service name is already in use: '${displayName}'`, {
    location: existing ? serviceAccountPath(existing.id) : undefined,
  });
}

function checkDisplayName(value: string): string {
  return checkText('/display_name', value, textLimits.displayName, { required: true });
}

function checkDescription(value: string): string {
  return checkText('/description', value, textLimits.description);
}

export async function createServiceAccount(
  ctx: ServiceContext,
  caller: Caller,
  input: CreateServiceAccountInput,
): Promise<ServiceAccount> {
  ensure(ctx, caller, 'ServiceAccount:Create', ctx.crn.organization());
  if (input.displayName === undefined) throw badField('/display_name', '/display_name is required');
  const displayName = checkDisplayName(input.displayName);
  const description = checkDescription(input.description ?? '');
  return onConflict(
    () =>
      ctx.store.transaction(async (tx) => {
        const now = timestamp(ctx);
        const account: ServiceAccount = {
          id: newId('serviceAccount', ctx.randomBytes),
          displayName,
          description,
          createdAt: now,
          updatedAt: now,
        };
        await tx.insert('serviceAccounts', account);
        await consumeQuotas(tx, [{ code: 'iam.max_service_accounts.per_org', scopeId: ctx.orgId }], now, ctx.quotas);
        return account;
      }),
    () => nameTaken(ctx, displayName),
  );
}

export interface ServiceAccountFilter {
  /** Exact display names, any of them; empty means every account. */
  displayNames: readonly string[];
}

/**
 * The accounts the caller may describe: every one, or those its bindings name and the caller
 * itself when it is a service account.
 */
export async function listServiceAccounts(
  ctx: ServiceContext,
  caller: Caller,
  filter: ServiceAccountFilter,
  page: PageRequest,
): Promise<Page<ServiceAccount>> {
  const where: Where<'serviceAccounts'> = filter.displayNames.length ? { displayName: filter.displayNames } : {};
  if (!canEverywhere(ctx, caller, 'ServiceAccount:Describe', 'service-account')) {
    const named = namedIds(ctx, caller, 'service-account', 'ServiceAccount:Describe', ctx.crn.serviceAccount);
    const self = caller.actor.principalKind === 'ServiceAccount' ? [caller.actor.principalId] : [];
    where.id = [...new Set([...named, ...self])];
  }
  return ctx.store.list('serviceAccounts', where, page);
}

/**
 * Checks `operation` on the account the path names before looking it up, so a caller without
 * the permission gets 403 whether or not the account exists.
 */
function ensureOnAccount(ctx: ServiceContext, caller: Caller, operation: string, id: string): void {
  ensure(ctx, caller, operation, ctx.crn.serviceAccount(id.trim().toLowerCase()));
}

export async function getServiceAccount(ctx: ServiceContext, caller: Caller, id: string): Promise<ServiceAccount> {
  ensureOnAccount(ctx, caller, 'ServiceAccount:Describe', id);
  return requireRow(ctx.store, 'serviceAccounts', id);
}

export interface UpdateServiceAccountInput {
  displayName?: string | undefined;
  description?: string | undefined;
}

export async function updateServiceAccount(
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: UpdateServiceAccountInput,
): Promise<ServiceAccount> {
  ensureOnAccount(ctx, caller, 'ServiceAccount:Alter', id);
  const patch = {
    displayName: input.displayName === undefined ? undefined : checkDisplayName(input.displayName),
    description: input.description === undefined ? undefined : checkDescription(input.description),
  };
  return onConflict(
    () =>
      ctx.store.transaction(async (tx) => {
        const current = await requireRow(tx, 'serviceAccounts', id);
        const updated = await tx.update('serviceAccounts', current.id, { ...patch, updatedAt: timestamp(ctx) });
        return updated!;
      }),
    () => nameTaken(ctx, patch.displayName!),
  );
}

/**
 * Deletes the account with its API keys and role bindings, all or nothing; with the in-use guard
 * on, only when none of its keys was used lately or `force` is set.
 */
export async function deleteServiceAccount(ctx: ServiceContext, caller: Caller, id: string, options: DeleteOptions = {}): Promise<void> {
  ensureOnAccount(ctx, caller, 'ServiceAccount:Delete', id);
  await ctx.store.transaction(async (tx) => {
    const account = await requireRow(tx, 'serviceAccounts', id);
    if (caller.actor.principalId === account.id) {
      throw new KeyplaneError('bad_request', `Service account '${account.id}' is the caller; an account cannot delete itself, ask an administrator`);
    }
    await ensureStandingOver(ctx, tx, caller, account.id, 'ServiceAccount:Delete', ctx.crn.serviceAccount(account.id));
    await ensurePrincipalNotInUse(ctx, tx, account.id, 'Service account', options);
    await deletePrincipalBelongings(ctx, tx, account.id, 'ServiceAccount');
    await tx.delete('serviceAccounts', account.id);
    await releaseQuotas(tx, [{ code: 'iam.max_service_accounts.per_org', scopeId: ctx.orgId }], timestamp(ctx));
  });
}
