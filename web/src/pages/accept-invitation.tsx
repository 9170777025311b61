import { type FormEvent, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { post } from '../api';
import { NewPasswordFields, useNewPassword } from '../components/new-password';
import { ErrorMessage, formatTime, Loading } from '../components/ui';
import { useAction, useTitle } from '../hooks';
import { useSession } from '../session';
import type { Session } from '../types';

/** The one-time token from `#token=…` (a fragment never reaches a server or a Referer). */
function tokenFromFragment(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

export function AcceptInvitationPage() {
  useTitle('Accept invitation');
  const navigate = useNavigate();
  const { signedIn } = useSession();
  const [token] = useState(tokenFromFragment);
  const [preview, setPreview] = useState<{ email: string; expires_at: string }>();
  const [previewError, setPreviewError] = useState<unknown>();
  const [fullName, setFullName] = useState('');
  const password = useNewPassword();
  const accept = useAction();

  useEffect(() => {
    // Out of the address bar and the history entry once read: the link is spent on use anyway.
    if (window.location.hash) window.history.replaceState(window.history.state, '', window.location.pathname);
    if (!token) {
      setPreviewError(new Error('This page needs the link from your invitation. Ask an administrator for a new one.'));
      return;
    }
    post<{ email: string; expires_at: string }>('/console/v1/invitations/preview', { token }).then(setPreview, setPreviewError);
  }, [token]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problem = password.problem();
    if (problem) return accept.setError(problem);
    void accept.run(async () => {
      const body: Record<string, string> = { token, password: password.password };
      if (fullName.trim()) body.full_name = fullName.trim();
      signedIn(await post<Session>('/console/v1/invitations/accept', body));
      navigate('/environments', { replace: true });
    });
  };

  return (
    <main className="auth-page" id="main">
      <div className="card auth-card">
        <p className="brand">Keyplane</p>
        <h1>Accept invitation</h1>
        {previewError ? (
          <ErrorMessage error={previewError} />
        ) : !preview ? (
          <Loading label="Checking your invitation…" />
        ) : (
          <form onSubmit={submit} aria-label="Set your password">
            <p>
              You were invited as <strong data-testid="invited-email">{preview.email}</strong>. The link works once, until{' '}
              {formatTime(preview.expires_at)}.
            </p>
            <label htmlFor="full-name">Full name (optional)</label>
            <input id="full-name" autoComplete="name" value={fullName} onChange={(e) => setFullName(e.target.value)} />
            <NewPasswordFields value={password} label="Password" confirmLabel="Confirm password" />
            <ErrorMessage error={accept.error} />
            <button type="submit" className="primary" disabled={accept.busy}>
              {accept.busy ? 'Setting password…' : 'Set password and sign in'}
            </button>
          </form>
        )}
      </div>
    </main>
  );
}
