import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { listAll, post } from '../api';
import { LoadedTable } from '../components/data-table';
import { FormDialog } from '../components/form-dialog';
import { EmptyState, formatTime, PageHeader } from '../components/ui';
import { useDialogFor, useLoad } from '../hooks';
import type { Environment } from '../types';

export function EnvironmentsPage() {
  const environments = useLoad(() => listAll<Environment>('/org/v2/environments'), []);
  const adding = useDialogFor();
  return (
    <>
      <PageHeader title="Environments">
        <button type="button" className="primary" onClick={() => adding.open(true)}>
          Add environment
        </button>
      </PageHeader>
      <p className="muted">Environments group Kafka clusters, Schema Registries, ksqlDB clusters and Flink regions.</p>
      <LoadedTable
        loaded={environments}
        label="Environments"
        rowKey={(e) => e.id}
        searchText={(e) => `${e.display_name} ${e.id}`}
        initialSort={{ column: 'name' }}
        columns={[
          {
            id: 'name',
            header: 'Name',
            cell: (e) => <Link to={`/environments/${e.id}`}>{e.display_name}</Link>,
            sortValue: (e) => e.display_name,
          },
          { id: 'id', header: 'ID', cell: (e) => <code>{e.id}</code>, sortValue: (e) => e.id },
          { id: 'created', header: 'Created', cell: (e) => formatTime(e.metadata.created_at), sortValue: (e) => e.metadata.created_at ?? '' },
        ]}
        empty={
          <EmptyState title="No environments you can see">
            <p className="muted">Add one, or ask an administrator for a role in an existing environment.</p>
          </EmptyState>
        }
      />
      {adding.subject ? <AddEnvironmentDialog onClose={adding.close} /> : null}
    </>
  );
}

function AddEnvironmentDialog({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  return (
    <FormDialog
      title="Add environment"
      submit="Add"
      onClose={onClose}
      onSubmit={async () => {
        const environment = await post<Environment>('/org/v2/environments', { display_name: name.trim() });
        onClose();
        navigate(`/environments/${environment.id}`);
      }}
    >
      <label htmlFor="environment-name">Name</label>
      <input id="environment-name" required value={name} onChange={(e) => setName(e.target.value)} />
    </FormDialog>
  );
}
