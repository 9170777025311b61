import type { Store } from '../storage/store.js';
import { listAll, principalName } from './access.js';

/**
 * Role bindings on the objects the CRNs name and on everything inside them. Called in the
 * transaction that deletes the objects, so no binding outlives what it names.
 */
export async function removeBindingsOn(tx: Store, ...crns: string[]): Promise<void> {
  const bindings = await listAll(tx, 'roleBindings', {});
  const on = (pattern: string) => crns.some((crn) => pattern === crn || pattern.startsWith(`${crn}/`));
  const ids = bindings.filter((b) => on(b.crnPattern)).map((b) => b.id);
  if (ids.length > 0) await tx.deleteWhere('roleBindings', { id: ids });
}

/** A principal's own role bindings and the ACLs that name it. */
export async function removePrincipalAccess(tx: Store, principalId: string): Promise<void> {
  const principal = principalName(principalId);
  await tx.deleteWhere('roleBindings', { principal });
  await tx.deleteWhere('kafkaAcls', { principal });
}

/** Every ACL of the clusters, when they go. */
export async function removeClusterAcls(tx: Store, clusterIds: readonly string[]): Promise<void> {
  await tx.deleteWhere('kafkaAcls', { clusterId: clusterIds });
}
