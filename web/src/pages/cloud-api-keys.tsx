import { listAll } from '../api';
import { KeysTable } from '../components/keys-table';
import { PageHeader } from '../components/ui';
import type { ApiKey } from '../types';

export function CloudApiKeysPage() {
  const createQuery = new URLSearchParams({ resource: 'cloud', return: '/cloud-api-keys' });
  return (
    <>
      <PageHeader title="Cloud API keys" />
      <p className="muted">
        Cloud API keys call the management API (environments, service accounts, keys, role bindings). What a key may do is
        what its owner's roles allow.
      </p>
      <KeysTable
        label="Cloud API keys"
        createHref={`/api-keys/new?${createQuery}`}
        emptyText="Add a Cloud API key for automation such as Terraform or the CLI."
        deps={[]}
        load={async () => {
          const [cloud, global] = await Promise.all([
            listAll<ApiKey>('/iam/v2/api-keys', { 'spec.resource': 'cloud' }),
            listAll<ApiKey>('/iam/v2/api-keys', { 'spec.resource': 'global' }),
          ]);
          return [...cloud, ...global];
        }}
      />
    </>
  );
}
