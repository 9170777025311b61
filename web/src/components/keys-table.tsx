import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { del, patch } from '../api';
import { useDialogFor, useLoad } from '../hooks';
import { keyResourcePath, scopeLabel } from '../resources';
import type { ApiKey } from '../types';
import { ConfirmDialog } from './confirm-dialog';
import { type Column, LoadedTable } from './data-table';
import { FormDialog } from './form-dialog';
import { EmptyState, formatTime, lastUsed } from './ui';

interface KeysTableProps {
  label: string;
  load: () => Promise<ApiKey[]>;
  /** Re-load when these change. */
  deps: unknown[];
  /** The create-key page for this scope; no link when the caller cannot add keys here. */
  createHref?: string;
  emptyText: string;
  showScope?: boolean;
  actions?: ReactNode;
}

/** API keys with search, sort, paging, **Edit description** and **Delete**. */
export function KeysTable({ label, load, deps, createHref, emptyText, showScope = true, actions }: KeysTableProps) {
  const keys = useLoad(load, deps);
  const editing = useDialogFor<ApiKey>(keys.reload);
  const deleting = useDialogFor<ApiKey>(keys.reload);
  const doomed = deleting.subject;

  const columns: Array<Column<ApiKey>> = [
    { id: 'key', header: 'Key', cell: (k) => <code>{k.id}</code>, sortValue: (k) => k.id },
    { id: 'name', header: 'Name', cell: (k) => k.spec.display_name || <span className="muted">—</span>, sortValue: (k) => k.spec.display_name },
    {
      id: 'description',
      header: 'Description',
      cell: (k) => k.spec.description || <span className="muted">—</span>,
      sortValue: (k) => k.spec.description,
    },
    { id: 'owner', header: 'Owner', cell: (k) => <code>{k.spec.owner.id}</code>, sortValue: (k) => k.spec.owner.id },
    ...(showScope
      ? [
          {
            id: 'scope',
            header: 'Scope',
            cell: (k: ApiKey) => {
              const to = keyResourcePath(k);
              return to ? <Link to={to}>{scopeLabel(k)}</Link> : scopeLabel(k);
            },
            sortValue: (k: ApiKey) => scopeLabel(k),
          },
        ]
      : []),
    {
      id: 'created',
      header: 'Created',
      cell: (k) => formatTime(k.metadata.created_at),
      sortValue: (k) => k.metadata.created_at ?? '',
    },
    { id: 'last-used', header: 'Last used', cell: (k) => lastUsed(k.spec.last_used_at), sortValue: (k) => k.spec.last_used_at ?? '' },
    {
      id: 'actions',
      header: 'Actions',
      cell: (k) => (
        <div className="row-actions">
          <button type="button" className="link" aria-label={`Edit description of ${k.id}`} onClick={() => editing.open(k)}>
            Edit description
          </button>
          <button type="button" className="link danger" aria-label={`Delete ${k.id}`} onClick={() => deleting.open(k)}>
            Delete
          </button>
        </div>
      ),
    },
  ];

  return (
    <section aria-label={label}>
      <div className="section-head">
        <h2 tabIndex={-1}>{label}</h2>
        <div className="actions">
          {actions}
          {createHref ? (
            <Link className="button primary" to={createHref}>
              Add key
            </Link>
          ) : null}
        </div>
      </div>
      <LoadedTable
        loaded={keys}
        loadingLabel="Loading API keys…"
        label={label}
        columns={columns}
        rowKey={(k) => k.id}
        searchText={(k) => `${k.id} ${k.spec.display_name} ${k.spec.description} ${k.spec.owner.id} ${scopeLabel(k)}`}
        initialSort={{ column: 'created', descending: true }}
        empty={
          <EmptyState title="No API keys yet">
            <p className="muted">{emptyText}</p>
          </EmptyState>
        }
      />
      {editing.subject ? <EditDescriptionDialog apiKey={editing.subject} onClose={editing.close} onSaved={editing.done} /> : null}
      {doomed ? (
        <ConfirmDialog
          title={`Delete API key ${doomed.id}?`}
          text="Deleting this key cannot be undone. Anything that still uses it stops authenticating at once."
          action="Delete key"
          run={() => del(`/iam/v2/api-keys/${encodeURIComponent(doomed.id)}`)}
          onClose={deleting.close}
          onDone={deleting.done}
        >
          <dl className="facts">
            <dt>Owner</dt>
            <dd>
              <code>{doomed.spec.owner.id}</code>
            </dd>
            <dt>Scope</dt>
            <dd>{scopeLabel(doomed)}</dd>
            <dt>Last used</dt>
            <dd data-testid="delete-last-used">{lastUsed(doomed.spec.last_used_at)}</dd>
          </dl>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function EditDescriptionDialog({ apiKey, onClose, onSaved }: { apiKey: ApiKey; onClose: () => void; onSaved: () => void }) {
  const [description, setDescription] = useState(apiKey.spec.description);
  return (
    <FormDialog
      title={`Edit description of ${apiKey.id}`}
      submit="Save"
      onClose={onClose}
      onSubmit={async () => {
        await patch(`/iam/v2/api-keys/${encodeURIComponent(apiKey.id)}`, { spec: { description } });
        onSaved();
      }}
    >
      <label htmlFor="key-description">Description</label>
      <textarea id="key-description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
    </FormDialog>
  );
}
