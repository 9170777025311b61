import { randomBytes } from 'node:crypto';
import { crnsFor } from '../../src/domain/crn.js';
import { newApiKeyId, newId } from '../../src/domain/ids.js';
import type { RoleName } from '../../src/domain/roles.js';
import { newSecret } from '../../src/domain/secret.js';
import { apiKeyRow } from '../../src/services/api-keys.js';
import type { TestKeyplane } from './harness.js';
import { issuedSecrets } from './harness.js';

export interface TestPrincipal {
  id: string;
  /** `User:u-…` / `User:sa-…`. */
  principal: string;
  key: string;
  secret: string;
  auth: { key: string; secret: string };
}

export interface Binding {
  role: RoleName;
  /** A CRN pattern; build one with `crns(kp)`. */
  crn: string;
}

/** The CRN builders of the test server's organization. */
export function crns(kp: TestKeyplane) {
  return crnsFor(kp.keyplane.services.orgId);
}

/**
 * A user or service account written straight into the store, with one Cloud API key and the
 * given role bindings, so authorization tests do not depend on the APIs they test.
 */
export async function addPrincipal(kp: TestKeyplane, kind: 'user' | 'service-account', bindings: Binding[] = []): Promise<TestPrincipal> {
  const { store, hasher } = kp.keyplane.services;
  const now = new Date().toISOString();
  const id = newId(kind === 'user' ? 'user' : 'serviceAccount', randomBytes);
  if (kind === 'user') {
    await store.insert('users', { id, email: `${id}@example.test`, fullName: `Test ${id}`, authType: 'AUTH_TYPE_LOCAL', createdAt: now, updatedAt: now });
  } else {
    await store.insert('serviceAccounts', { id, displayName: `test-${id}`, description: '', createdAt: now, updatedAt: now });
  }
  const principal = `User:${id}`;
  await grant(kp, principal, bindings);
  const key = newApiKeyId(randomBytes);
  const secret = newSecret(randomBytes);
  const owner = { id, kind: kind === 'user' ? ('User' as const) : ('ServiceAccount' as const) };
  await store.insert(
    'apiKeys',
    apiKeyRow(hasher, now, { id: key, owner, scope: { kind: 'Cloud', id: 'cloud', environmentId: null }, displayName: '', description: '', secret }),
  );
  issuedSecrets.add(secret);
  return { id, principal, key, secret, auth: { key, secret } };
}

/** Adds role bindings for `principal` straight into the store. */
export async function grant(kp: TestKeyplane, principal: string, bindings: Binding[]): Promise<void> {
  const now = new Date().toISOString();
  for (const b of bindings) {
    await kp.keyplane.services.store.insert('roleBindings', {
      id: newId('roleBinding', randomBytes),
      principal,
      roleName: b.role,
      crnPattern: b.crn,
      createdAt: now,
    });
  }
}
