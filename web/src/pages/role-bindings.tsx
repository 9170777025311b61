import { useState } from 'react';
// The roles are the server's own list: one definition, bundled into the console.
import { roleNames } from '../../../src/domain/roles';
import { del, listAll, post } from '../api';
import { ConfirmDialog } from '../components/confirm-dialog';
import { LoadedTable } from '../components/data-table';
import { FormDialog } from '../components/form-dialog';
import { LoadedSelect } from '../components/loaded-select';
import { EmptyState, formatTime, PageHeader } from '../components/ui';
import { useDialogFor, useLoad } from '../hooks';
import { organizationCrn, useSignedIn } from '../session';
import type { Environment, RoleBinding, ServiceAccount, User } from '../types';

export function RoleBindingsPage() {
  const session = useSignedIn();
  const orgCrn = organizationCrn(session);
  const bindings = useLoad(() => listAll<RoleBinding>('/iam/v2/role-bindings', { crn_pattern: `${orgCrn}/*` }), [orgCrn]);
  const adding = useDialogFor(bindings.reload);
  const deleting = useDialogFor<RoleBinding>(bindings.reload);
  const doomed = deleting.subject;
  const short = (pattern: string) => pattern.replace(orgCrn, '…') || pattern;

  return (
    <>
      <PageHeader title="Role bindings">
        <button type="button" className="primary" onClick={() => adding.open(true)}>
          Add role binding
        </button>
      </PageHeader>
      <p className="muted">
        A role binding gives a user or service account a role on a scope (the organization, an environment, a cluster, a topic…).
        Keys carry no permissions of their own: their owner's roles decide.
      </p>
      <LoadedTable
        loaded={bindings}
        label="Role bindings"
        rowKey={(b) => b.id}
        searchText={(b) => `${b.principal} ${b.role_name} ${b.crn_pattern} ${b.id}`}
        initialSort={{ column: 'principal' }}
        columns={[
          { id: 'principal', header: 'Principal', cell: (b) => <code>{b.principal}</code>, sortValue: (b) => b.principal },
          { id: 'role', header: 'Role', cell: (b) => b.role_name, sortValue: (b) => b.role_name },
          {
            id: 'scope',
            header: 'Scope',
            cell: (b) => (
              <code className="wrap" title={b.crn_pattern}>
                {short(b.crn_pattern)}
              </code>
            ),
            sortValue: (b) => b.crn_pattern,
          },
          { id: 'created', header: 'Created', cell: (b) => formatTime(b.metadata.created_at), sortValue: (b) => b.metadata.created_at ?? '' },
          {
            id: 'actions',
            header: 'Actions',
            cell: (b) => (
              <button type="button" className="link danger" aria-label={`Delete role binding ${b.id}`} onClick={() => deleting.open(b)}>
                Delete
              </button>
            ),
          },
        ]}
        empty={<EmptyState title="No role bindings you can see" />}
      />
      {adding.subject ? <AddBindingDialog orgCrn={orgCrn} onClose={adding.close} onDone={adding.done} /> : null}
      {doomed ? (
        <ConfirmDialog
          title={`Remove ${doomed.role_name} from ${doomed.principal}?`}
          text={`This cannot be undone. ${doomed.principal} loses what ${doomed.role_name} allows on ${doomed.crn_pattern} at once.`}
          action="Delete role binding"
          run={() => del(`/iam/v2/role-bindings/${encodeURIComponent(doomed.id)}`)}
          onClose={deleting.close}
          onDone={deleting.done}
        />
      ) : null}
    </>
  );
}

function AddBindingDialog({ orgCrn, onClose, onDone }: { orgCrn: string; onClose: () => void; onDone: () => void }) {
  const principals = useLoad(async () => {
    const [users, accounts] = await Promise.all([listAll<User>('/iam/v2/users'), listAll<ServiceAccount>('/iam/v2/service-accounts')]);
    return [
      ...users.map((u) => ({ value: `User:${u.id}`, label: `${u.email} (${u.id})` })),
      ...accounts.map((a) => ({ value: `User:${a.id}`, label: `${a.display_name} (${a.id})` })),
    ];
  }, []);
  const environments = useLoad(() => listAll<Environment>('/org/v2/environments'), []);
  const [principal, setPrincipal] = useState('');
  const [role, setRole] = useState<string>('EnvironmentAdmin');
  const [pattern, setPattern] = useState(orgCrn);

  return (
    <FormDialog
      title="Add role binding"
      submit="Add"
      onClose={onClose}
      onSubmit={async () => {
        await post('/iam/v2/role-bindings', { principal, role_name: role, crn_pattern: pattern.trim() });
        onDone();
      }}
    >
      <LoadedSelect
        id="binding-principal"
        label="Principal"
        required
        value={principal}
        onChange={setPrincipal}
        loaded={principals}
        placeholder="Choose a user or service account"
        option={(p) => p}
      />
      <label htmlFor="binding-role">Role</label>
      <select id="binding-role" value={role} onChange={(e) => setRole(e.target.value)}>
        {roleNames.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
      <label htmlFor="binding-scope">Scope (CRN pattern)</label>
      <input id="binding-scope" required list="binding-scopes" value={pattern} onChange={(e) => setPattern(e.target.value)} />
      <datalist id="binding-scopes">
        <option value={orgCrn}>Organization</option>
        {(environments.data ?? []).map((env) => (
          <option key={env.id} value={env.metadata.resource_name ?? `${orgCrn}/environment=${env.id}`}>
            {env.display_name}
          </option>
        ))}
      </datalist>
    </FormDialog>
  );
}
