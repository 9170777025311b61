import { type FormEvent, useState } from 'react';
import { post } from '../api';
import { NewPasswordFields, useNewPassword } from '../components/new-password';
import { SignOutButton } from '../components/sign-out-button';
import { ErrorMessage, formatTime, PageHeader } from '../components/ui';
import { useAction } from '../hooks';
import { useSignedIn } from '../session';

export function AccountPage() {
  const session = useSignedIn();
  const [current, setCurrent] = useState('');
  const next = useNewPassword();
  const change = useAction();
  const [done, setDone] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    const problem = next.problem();
    if (problem) return change.setError(problem);
    void change.run(async () => {
      await post('/console/v1/password', { current_password: current, new_password: next.password });
      setCurrent('');
      next.clear();
      setDone(true);
    });
  };

  return (
    <>
      <PageHeader title="My account">
        <SignOutButton />
      </PageHeader>
      <dl className="facts">
        <div className="fact">
          <dt>Email</dt>
          <dd>{session.user.email}</dd>
        </div>
        <div className="fact">
          <dt>Name</dt>
          <dd>{session.user.full_name || '—'}</dd>
        </div>
        <div className="fact">
          <dt>User ID</dt>
          <dd>
            <code>{session.user.id}</code>
          </dd>
        </div>
        <div className="fact">
          <dt>Session ends</dt>
          <dd>{formatTime(session.expires_at)}</dd>
        </div>
      </dl>
      <form className="card narrow-form" onSubmit={submit} aria-labelledby="password-heading">
        <h2 id="password-heading">Change password</h2>
        <label htmlFor="current-password">Current password</label>
        <input id="current-password" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        <NewPasswordFields value={next} label="New password" confirmLabel="Confirm new password" note="Your other sessions end when it changes." />
        <ErrorMessage error={change.error} />
        {done ? (
          <p role="status" className="success">
            Your password was changed.
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={change.busy}>
          Change password
        </button>
      </form>
    </>
  );
}
