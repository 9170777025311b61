import { useState } from 'react';
import { Link } from 'react-router';
import { del, listAll, patch, post } from '../api';
import { ConfirmDialog } from '../components/confirm-dialog';
import { LoadedTable } from '../components/data-table';
import { FormDialog } from '../components/form-dialog';
import { EmptyState, ErrorMessage, formatTime, Loading, lastUsed, PageHeader } from '../components/ui';
import { useDialogFor, useLoad } from '../hooks';
import { scopeLabel } from '../resources';
import type { ApiKey, ServiceAccount } from '../types';

export function ServiceAccountsPage() {
  const accounts = useLoad(() => listAll<ServiceAccount>('/iam/v2/service-accounts'), []);
  const adding = useDialogFor(accounts.reload);
  const editing = useDialogFor<ServiceAccount>(accounts.reload);
  const deleting = useDialogFor<ServiceAccount>(accounts.reload);

  return (
    <>
      <PageHeader title="Service accounts">
        <button type="button" className="primary" onClick={() => adding.open(true)}>
          Add service account
        </button>
      </PageHeader>
      <p className="muted">Service accounts are the identities of applications. Their API keys and role bindings say what they may use.</p>
      <LoadedTable
        loaded={accounts}
        label="Service accounts"
        rowKey={(a) => a.id}
        searchText={(a) => `${a.display_name} ${a.id} ${a.description}`}
        initialSort={{ column: 'name' }}
        columns={[
          { id: 'name', header: 'Name', cell: (a) => a.display_name, sortValue: (a) => a.display_name },
          { id: 'id', header: 'ID', cell: (a) => <code>{a.id}</code>, sortValue: (a) => a.id },
          { id: 'description', header: 'Description', cell: (a) => a.description || <span className="muted">—</span>, sortValue: (a) => a.description },
          { id: 'created', header: 'Created', cell: (a) => formatTime(a.metadata.created_at), sortValue: (a) => a.metadata.created_at ?? '' },
          {
            id: 'actions',
            header: 'Actions',
            cell: (a) => (
              <div className="row-actions">
                <Link
                  to={`/api-keys/new?${new URLSearchParams({ owner: a.id, return: '/service-accounts' })}`}
                  aria-label={`Add API key for ${a.display_name}`}
                >
                  Add key
                </Link>
                <button type="button" className="link" aria-label={`Edit description of ${a.display_name}`} onClick={() => editing.open(a)}>
                  Edit description
                </button>
                <button type="button" className="link danger" aria-label={`Delete ${a.display_name}`} onClick={() => deleting.open(a)}>
                  Delete
                </button>
              </div>
            ),
          },
        ]}
        empty={
          <EmptyState title="No service accounts yet">
            <p className="muted">Add one for each application that needs API keys.</p>
          </EmptyState>
        }
      />
      {adding.subject ? <AccountDialog onClose={adding.close} onSaved={adding.done} /> : null}
      {editing.subject ? <AccountDialog account={editing.subject} onClose={editing.close} onSaved={editing.done} /> : null}
      {deleting.subject ? <DeleteAccountDialog account={deleting.subject} onClose={deleting.close} onDeleted={deleting.done} /> : null}
    </>
  );
}

function AccountDialog({ account, onClose, onSaved }: { account?: ServiceAccount; onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState(account?.display_name ?? '');
  const [description, setDescription] = useState(account?.description ?? '');
  return (
    <FormDialog
      title={account ? `Edit description of ${account.display_name}` : 'Add service account'}
      submit={account ? 'Save' : 'Add'}
      onClose={onClose}
      onSubmit={async () => {
        if (account) await patch(`/iam/v2/service-accounts/${encodeURIComponent(account.id)}`, { description });
        else await post('/iam/v2/service-accounts', { display_name: name.trim(), description: description.trim() });
        onSaved();
      }}
    >
      {account ? null : (
        <>
          <label htmlFor="account-name">Name</label>
          <input id="account-name" required value={name} onChange={(e) => setName(e.target.value)} />
        </>
      )}
      <label htmlFor="account-description">Description</label>
      <textarea id="account-description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
    </FormDialog>
  );
}

function DeleteAccountDialog({ account, onClose, onDeleted }: { account: ServiceAccount; onClose: () => void; onDeleted: () => void }) {
  const keys = useLoad(() => listAll<ApiKey>('/iam/v2/api-keys', { 'spec.owner': account.id }), [account.id]);
  return (
    <ConfirmDialog
      title={`Delete service account ${account.display_name}?`}
      text="Deleting a service account cannot be undone. Its API keys and role bindings are deleted with it."
      action="Delete service account"
      forceAction="Delete anyway"
      run={(force) => del(`/iam/v2/service-accounts/${encodeURIComponent(account.id)}${force ? '?force=true' : ''}`)}
      disabled={keys.loading}
      onClose={onClose}
      onDone={onDeleted}
    >
      <ErrorMessage error={keys.error} />
      {keys.loading ? <Loading label="Finding its API keys…" /> : null}
      {keys.data ? (
        keys.data.length === 0 ? (
          <p>It has no API keys.</p>
        ) : (
          <>
            <p>
              These {keys.data.length} API {keys.data.length === 1 ? 'key stops' : 'keys stop'} working:
            </p>
            <ul className="key-list" aria-label="API keys deleted with it">
              {keys.data.map((k) => (
                <li key={k.id}>
                  <code>{k.id}</code> — {scopeLabel(k)}
                  {k.spec.description ? ` — ${k.spec.description}` : ''} — last used: {lastUsed(k.spec.last_used_at)}
                </li>
              ))}
            </ul>
          </>
        )
      ) : null}
    </ConfirmDialog>
  );
}
