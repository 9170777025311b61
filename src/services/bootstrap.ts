import { randomBytes, randomUUID } from 'node:crypto';
import { crnsFor } from '../domain/crn.js';
import { isApiKeyId, newApiKeyId, newId } from '../domain/ids.js';
import { checkSecret, newSecret } from '../domain/secret.js';
import type { Organization } from '../storage/schema.js';
import type { Store } from '../storage/store.js';
import { apiKeyRow } from './api-keys.js';
import type { ServiceDeps } from './context.js';
import { hashPassword } from './passwords.js';
import { apiKeyQuotaUses, consumeQuotas } from './quota-guard.js';

export interface BootstrapOptions {
  adminEmail: string;
  /** A key id and secret to become the admin's first Cloud API key instead of a generated one. */
  bootstrapKey?: string | undefined;
  bootstrapSecret?: string | undefined;
  /** The admin's console password instead of a generated one. */
  bootstrapPassword?: string | undefined;
}

export interface BootstrapResult {
  organization: Organization;
  /** Present only on the start that created the organization. */
  initialCredentials?: {
    key: string;
    secret: string;
    adminId: string;
    adminEmail: string;
    /** The key came from KEYPLANE_BOOTSTRAP_KEY and _SECRET. */
    supplied: boolean;
    /** The admin's console password. */
    password: string;
    /** The password came from KEYPLANE_BOOTSTRAP_PASSWORD. */
    passwordSupplied: boolean;
  };
}

export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

/** Checks the bootstrap credentials before anything is written. */
export function checkBootstrapCredentials(options: BootstrapOptions): void {
  const { bootstrapKey: key, bootstrapSecret: secret } = options;
  if ((key === undefined) !== (secret === undefined)) {
    throw new BootstrapError('KEYPLANE_BOOTSTRAP_KEY and KEYPLANE_BOOTSTRAP_SECRET must be set together');
  }
  if (key !== undefined && !isApiKeyId(key)) {
    throw new BootstrapError('KEYPLANE_BOOTSTRAP_KEY must be 16 characters of A-Z and 0-9');
  }
  if (secret !== undefined) {
    const check = checkSecret(secret);
    if (!check.ok) throw new BootstrapError(`KEYPLANE_BOOTSTRAP_SECRET is not a valid secret: ${check.reason}`);
  }
}

/**
 * On an empty database: the organization, a `default` environment, an admin user bound to
 * OrganizationAdmin with a console password, and one Cloud API key for that admin, all in one
 * transaction. On a database
 * that has an organization: nothing, and no credentials are returned. The caller checks the
 * options with checkBootstrapCredentials first, before it creates or opens anything.
 */
export async function bootstrap(deps: ServiceDeps, options: BootstrapOptions): Promise<BootstrapResult> {
  const store: Store = deps.store;
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const random = deps.randomBytes ?? ((n: number) => randomBytes(n));
  // The slow hash is made outside the transaction, and only when there may be an organization to create.
  const found = await store.find('organizations', {});
  if (found) return { organization: found };
  const password = options.bootstrapPassword ?? Buffer.from(random(18)).toString('base64url');
  const passwordHash = await hashPassword(password, random);
  return store.transaction(async (tx) => {
    await tx.lock('bootstrap');
    const existing = await tx.find('organizations', {});
    if (existing) return { organization: existing };

    const organization: Organization = { id: randomUUID(), displayName: 'Keyplane', inUseGuard: 0, leakPolicy: 'revoke', createdAt: now, updatedAt: now };
    await tx.insert('organizations', organization);
    await tx.insert('environments', {
      id: newId('environment', random),
      displayName: 'default',
      streamGovernancePackage: null,
      createdAt: now,
      updatedAt: now,
    });
    const adminId = newId('user', random);
    await tx.insert('users', {
      id: adminId,
      email: options.adminEmail.toLowerCase(),
      fullName: 'Keyplane Admin',
      authType: 'AUTH_TYPE_LOCAL',
      passwordHash,
      createdAt: now,
      updatedAt: now,
    });
    await tx.insert('roleBindings', {
      id: newId('roleBinding', random),
      principal: `User:${adminId}`,
      roleName: 'OrganizationAdmin',
      crnPattern: crnsFor(organization.id).organization(),
      createdAt: now,
    });
    const key = options.bootstrapKey ?? newApiKeyId(random);
    const secret = options.bootstrapSecret ?? newSecret(random);
    const row = apiKeyRow(deps.hasher, now, {
      id: key,
      owner: { id: adminId, kind: 'User' },
      scope: { kind: 'Cloud', id: 'cloud', environmentId: null },
      displayName: 'initial-admin',
      description: 'Created on first start',
      secret,
    });
    await tx.insert('apiKeys', row);
    // The first start creates past no limit, but what it creates counts like anything else.
    await consumeQuotas(
      tx,
      [{ code: 'iam.max_environments.per_org', scopeId: organization.id }, ...apiKeyQuotaUses(organization.id, row)],
      now,
    );
    return {
      organization,
      initialCredentials: {
        key,
        secret,
        adminId,
        adminEmail: options.adminEmail.toLowerCase(),
        supplied: options.bootstrapKey !== undefined,
        password,
        passwordSupplied: options.bootstrapPassword !== undefined,
      },
    };
  });
}
