import type { Store } from '../storage/store.js';
import { listAll, principalName } from './access.js';

/**
 * Role bindings on the object `crn` names and on everything inside it. Called in the
 * transaction that deletes the object, so no binding outlives what it names.
 */
export async function removeBindingsOn(tx: Store, crn: string): Promise<void> {
  const bindings = await listAll(tx, 'roleBindings', {});
  const ids = bindings.filter((b) => b.crnPattern === crn || b.crnPattern.startsWith(`${crn}/`)).map((b) => b.id);
  if (ids.length > 0) await tx.deleteWhere('roleBindings', { id: ids });
}

/** A principal's own role bindings and the ACLs that name it. */
export async function removePrincipalAccess(tx: Store, principalId: string): Promise<void> {
  const principal = principalName(principalId);
  await tx.deleteWhere('roleBindings', { principal });
  await tx.deleteWhere('kafkaAcls', { principal });
}

/** Every ACL of a cluster, when the cluster goes. */
export async function removeClusterAcls(tx: Store, clusterId: string): Promise<void> {
  await tx.deleteWhere('kafkaAcls', { clusterId });
}
