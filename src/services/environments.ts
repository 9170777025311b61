import { invalidField } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { checkText, textLimits } from '../domain/text.js';
import type { Environment } from '../storage/schema.js';
import type { Page, PageRequest, Where } from '../storage/store.js';
import { type Caller, canEverywhere, ensure, listAll, namedIds } from './access.js';
import { removeBindingsOn, removeClusterAcls } from './access-removal.js';
import { requireRow, type ServiceContext, timestamp } from './context.js';
import { removeApiKeys } from './key-removal.js';
import { consumeQuotas, releaseQuotas } from './quota-guard.js';

/** Stream Governance packages, from the smallest up; a package may be upgraded, never downgraded. */
export const streamGovernancePackages = ['ESSENTIALS', 'ADVANCED'] as const;
export type StreamGovernancePackage = (typeof streamGovernancePackages)[number];

const PACKAGE_POINTER = '/stream_governance_config/package';

function checkPackage(value: string): StreamGovernancePackage {
  const upper = value.trim().toUpperCase();
  const known = streamGovernancePackages.find((p) => p === upper);
  if (!known) throw invalidField(PACKAGE_POINTER, `${PACKAGE_POINTER} must be one of ${streamGovernancePackages.join(', ')}`);
  return known;
}

function checkDisplayName(value: string): string {
  return checkText('/display_name', value, textLimits.displayName, { required: true });
}

export interface CreateEnvironmentInput {
  displayName: string;
  streamGovernancePackage?: string | undefined;
}

export async function createEnvironment(
  ctx: ServiceContext,
  caller: Caller,
  input: CreateEnvironmentInput,
): Promise<Environment> {
  ensure(ctx, caller, 'Environment:Create', ctx.crn.organization());
  const displayName = checkDisplayName(input.displayName);
  const pkg = input.streamGovernancePackage === undefined ? null : checkPackage(input.streamGovernancePackage);
  return ctx.store.transaction(async (tx) => {
    const now = timestamp(ctx);
    const environment: Environment = {
      id: newId('environment', ctx.randomBytes),
      displayName,
      streamGovernancePackage: pkg,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert('environments', environment);
    await consumeQuotas(tx, [{ code: 'iam.max_environments.per_org', scopeId: ctx.orgId }], now, ctx.quotas);
    return environment;
  });
}

/** The environments the caller may describe: all of them, or those its bindings name (or hold something in). */
export async function listEnvironments(ctx: ServiceContext, caller: Caller, page: PageRequest): Promise<Page<Environment>> {
  const where: Where<'environments'> = canEverywhere(ctx, caller, 'Environment:Describe', 'environment')
    ? {}
    : { id: namedIds(ctx, caller, 'environment', 'Environment:Describe', ctx.crn.environment) };
  return ctx.store.list('environments', where, page);
}

export async function getEnvironment(ctx: ServiceContext, caller: Caller, id: string): Promise<Environment> {
  const environment = await requireRow(ctx.store, 'environments', id);
  ensure(ctx, caller, 'Environment:Describe', ctx.crn.environment(environment.id));
  return environment;
}

export interface UpdateEnvironmentInput {
  displayName?: string | undefined;
  streamGovernancePackage?: string | undefined;
}

export async function updateEnvironment(
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: UpdateEnvironmentInput,
): Promise<Environment> {
  return ctx.store.transaction(async (tx) => {
    const current = await requireRow(tx, 'environments', id);
    ensure(ctx, caller, 'Environment:Alter', ctx.crn.environment(current.id));
    const displayName = input.displayName === undefined ? undefined : checkDisplayName(input.displayName);
    const pkg = input.streamGovernancePackage === undefined ? undefined : checkPackage(input.streamGovernancePackage);
    const currentRank = streamGovernancePackages.indexOf(current.streamGovernancePackage as StreamGovernancePackage);
    if (pkg !== undefined && streamGovernancePackages.indexOf(pkg) < currentRank) {
      throw invalidField(
        PACKAGE_POINTER,
        `The Stream Governance package of '${current.id}' is ${current.streamGovernancePackage}; it can be upgraded, not downgraded to ${pkg}`,
      );
    }
    const updated = await tx.update('environments', current.id, {
      displayName,
      streamGovernancePackage: pkg,
      updatedAt: timestamp(ctx),
    });
    return updated!;
  });
}

/**
 * Everything that lives in the environment goes with it: its registered resources, the keys
 * scoped to them, the role bindings on it or on anything in it, and its Kafka clusters' ACLs.
 */
export async function deleteEnvironment(ctx: ServiceContext, caller: Caller, id: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const current = await requireRow(tx, 'environments', id);
    ensure(ctx, caller, 'Environment:Delete', ctx.crn.environment(current.id));
    await removeApiKeys(ctx, tx, { resourceEnvironmentId: current.id });
    const clusters = await listAll(tx, 'resources', { type: 'kafka', environmentId: current.id });
    await removeClusterAcls(
      tx,
      clusters.map((cluster) => cluster.id),
    );
    await removeBindingsOn(tx, ctx.crn.environment(current.id));
    await tx.deleteWhere('resources', { environmentId: current.id });
    await tx.delete('environments', current.id);
    await releaseQuotas(tx, [{ code: 'iam.max_environments.per_org', scopeId: ctx.orgId }], timestamp(ctx));
  });
}
