import { useState } from 'react';
import { del, listAll, post } from '../api';
import { ConfirmDialog } from '../components/confirm-dialog';
import { LoadedTable } from '../components/data-table';
import { FormDialog } from '../components/form-dialog';
import { Dialog, EmptyState, ErrorMessage, formatTime, PageHeader } from '../components/ui';
import { useDialogFor, useLoad } from '../hooks';
import { useSignedIn } from '../session';
import type { Invitation, User } from '../types';

const statusLabels: Record<string, string> = {
  INVITE_STATUS_SENT: 'Sent',
  INVITE_STATUS_ACCEPTED: 'Accepted',
  INVITE_STATUS_EXPIRED: 'Expired',
  INVITE_STATUS_DECLINED: 'Declined',
};

export function UsersPage() {
  const session = useSignedIn();
  const users = useLoad(() => listAll<User>('/iam/v2/users'), []);
  const invitations = useLoad(() => listAll<Invitation>('/iam/v2/invitations'), []);
  const inviting = useDialogFor();
  const [link, setLink] = useState<{ invitation: Invitation; url: string; expires_at: string; copied: boolean }>();
  const [linkError, setLinkError] = useState<{ id: string; error: unknown }>();
  const deletingUser = useDialogFor<User>(() => {
    users.reload();
    invitations.reload();
  });
  const withdrawing = useDialogFor<Invitation>(invitations.reload);
  const doomedUser = deletingUser.subject;
  const withdrawn = withdrawing.subject;

  const makeLink = async (invitation: Invitation) => {
    setLinkError(undefined);
    try {
      const answer = await post<{ url: string; expires_at: string }>(`/console/v1/invitations/${encodeURIComponent(invitation.id)}/link`);
      let copied = false;
      try {
        await navigator.clipboard.writeText(answer.url);
        copied = true;
      } catch {
        // The dialog shows the link to copy by hand.
      }
      setLink({ invitation, copied, ...answer });
    } catch (error) {
      setLinkError({ id: invitation.id, error });
    }
  };

  return (
    <>
      <PageHeader title="Users & invitations">
        <button type="button" className="primary" onClick={() => inviting.open(true)}>
          Invite user
        </button>
      </PageHeader>
      <section aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        <LoadedTable
          loaded={users}
          label="Users"
          rowKey={(u) => u.id}
          searchText={(u) => `${u.full_name} ${u.email} ${u.id}`}
          initialSort={{ column: 'email' }}
          columns={[
            { id: 'email', header: 'Email', cell: (u) => u.email, sortValue: (u) => u.email },
            { id: 'name', header: 'Name', cell: (u) => u.full_name || <span className="muted">—</span>, sortValue: (u) => u.full_name },
            { id: 'id', header: 'ID', cell: (u) => <code>{u.id}</code>, sortValue: (u) => u.id },
            { id: 'created', header: 'Created', cell: (u) => formatTime(u.metadata.created_at), sortValue: (u) => u.metadata.created_at ?? '' },
            {
              id: 'actions',
              header: 'Actions',
              cell: (u) =>
                u.id === session.user.id ? (
                  <span className="muted small">You</span>
                ) : (
                  <button type="button" className="link danger" aria-label={`Delete user ${u.email}`} onClick={() => deletingUser.open(u)}>
                    Delete
                  </button>
                ),
            },
          ]}
          empty={<EmptyState title="No users you can see" />}
        />
      </section>
      <section aria-labelledby="invitations-heading">
        <h2 id="invitations-heading">Invitations</h2>
        {linkError ? <ErrorMessage error={linkError.error} /> : null}
        <LoadedTable
          loaded={invitations}
          label="Invitations"
          rowKey={(i) => i.id}
          searchText={(i) => `${i.email} ${i.id} ${statusLabels[i.status] ?? i.status}`}
          initialSort={{ column: 'created', descending: true }}
          columns={[
            { id: 'email', header: 'Email', cell: (i) => i.email, sortValue: (i) => i.email },
            { id: 'status', header: 'Status', cell: (i) => statusLabels[i.status] ?? i.status, sortValue: (i) => i.status },
            { id: 'created', header: 'Sent', cell: (i) => formatTime(i.metadata.created_at), sortValue: (i) => i.metadata.created_at ?? '' },
            { id: 'expires', header: 'Expires', cell: (i) => formatTime(i.expires_at), sortValue: (i) => i.expires_at ?? '' },
            {
              id: 'actions',
              header: 'Actions',
              cell: (i) =>
                i.status === 'INVITE_STATUS_SENT' ? (
                  <div className="row-actions">
                    <button type="button" className="link" aria-label={`Copy invite link for ${i.email}`} onClick={() => makeLink(i)}>
                      Copy invite link
                    </button>
                    <button type="button" className="link danger" aria-label={`Withdraw invitation for ${i.email}`} onClick={() => withdrawing.open(i)}>
                      Withdraw
                    </button>
                  </div>
                ) : (
                  <span className="muted">—</span>
                ),
            },
          ]}
          empty={
            <EmptyState title="No invitations">
              <p className="muted">Invite a user by email, then copy their one-time link and send it to them.</p>
            </EmptyState>
          }
        />
      </section>
      {inviting.subject ? (
        <InviteDialog
          onClose={inviting.close}
          onInvited={(invitation) => {
            inviting.close();
            invitations.reload();
            users.reload();
            void makeLink(invitation);
          }}
        />
      ) : null}
      {link ? <InviteLinkDialog email={link.invitation.email} url={link.url} expiresAt={link.expires_at} copied={link.copied} onClose={() => setLink(undefined)} /> : null}
      {doomedUser ? (
        <ConfirmDialog
          title={`Delete user ${doomedUser.email}?`}
          text="Deleting a user cannot be undone. Their API keys, role bindings and invitations are deleted with them."
          action="Delete user"
          run={(force) => del(`/iam/v2/users/${encodeURIComponent(doomedUser.id)}${force ? '?force=true' : ''}`)}
          onClose={deletingUser.close}
          onDone={deletingUser.done}
        />
      ) : null}
      {withdrawn ? (
        <ConfirmDialog
          title={`Withdraw the invitation for ${withdrawn.email}?`}
          text="The invitation link stops working. The invited user stays, without a password."
          action="Withdraw"
          run={() => del(`/iam/v2/invitations/${encodeURIComponent(withdrawn.id)}`)}
          onClose={withdrawing.close}
          onDone={withdrawing.done}
        />
      ) : null}
    </>
  );
}

function InviteDialog({ onClose, onInvited }: { onClose: () => void; onInvited: (invitation: Invitation) => void }) {
  const [email, setEmail] = useState('');
  return (
    <FormDialog
      title="Invite user"
      submit="Invite"
      onClose={onClose}
      onSubmit={async () => onInvited(await post<Invitation>('/iam/v2/invitations', { email: email.trim() }))}
    >
      <label htmlFor="invite-email">Email</label>
      <input id="invite-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <p className="muted small">You get a one-time link to send them; they set their password with it.</p>
    </FormDialog>
  );
}

function InviteLinkDialog({ email, url, expiresAt, copied, onClose }: { email: string; url: string; expiresAt: string; copied: boolean; onClose: () => void }) {
  const [status, setStatus] = useState(copied ? 'Invite link copied to the clipboard.' : '');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setStatus('Invite link copied to the clipboard.');
    } catch {
      setStatus('Could not copy: select the link and copy it by hand.');
    }
  };
  return (
    <Dialog title={`Invite link for ${email}`} onClose={onClose}>
      <p>Send this link to {email}. It works once, until {formatTime(expiresAt)}; a new link replaces it.</p>
      <label htmlFor="invite-link">Invite link</label>
      <input id="invite-link" readOnly value={url} onFocus={(e) => e.target.select()} />
      <p role="status" className="muted small">
        {status}
      </p>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={copy}>
          Copy
        </button>
        <button type="button" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
