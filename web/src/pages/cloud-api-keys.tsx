import { isTruncated, listAll, markTruncated } from '../api';
import { KeysTable } from '../components/keys-table';
import { PageHeader } from '../components/ui';
import type { ApiKey } from '../types';

/** Keys of the whole organization: Cloud and Global keys (the management API) and Tableflow keys. */
export function CloudApiKeysPage() {
  const createManagement = new URLSearchParams({ scopes: 'cloud,global', return: '/cloud-api-keys' });
  const createTableflow = new URLSearchParams({ resource: 'tableflow', return: '/cloud-api-keys' });
  return (
    <>
      <PageHeader title="Cloud API keys" />
      <p className="muted">
        Cloud API keys call the management API (environments, service accounts, keys, role bindings): a Cloud key or a
        Global key. What a key may do is what its owner's roles allow.
      </p>
      <KeysTable
        label="Cloud API keys"
        createHref={`/api-keys/new?${createManagement}`}
        emptyText="Add a Cloud API key for automation such as Terraform or the CLI."
        deps={[]}
        load={async () => {
          const [cloud, global] = await Promise.all([
            listAll<ApiKey>('/iam/v2/api-keys', { 'spec.resource': 'cloud' }),
            listAll<ApiKey>('/iam/v2/api-keys', { 'spec.resource': 'global' }),
          ]);
          return markTruncated([...cloud, ...global], isTruncated(cloud) || isTruncated(global));
        }}
      />
      <KeysTable
        label="Tableflow API keys"
        createHref={`/api-keys/new?${createTableflow}`}
        emptyText="Add a Tableflow API key for reading Tableflow tables."
        showScope={false}
        deps={[]}
        load={() => listAll<ApiKey>('/iam/v2/api-keys', { 'spec.resource': 'tableflow' })}
      />
    </>
  );
}
