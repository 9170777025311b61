import { type FormEvent, useState } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { post } from '../api';
import { ErrorMessage, Loading } from '../components/ui';
import { useAction, useTitle } from '../hooks';
import { useSession } from '../session';
import type { Session } from '../types';

/** Where to go after signing in: a path on this site only. */
export function safeNext(value: string | null): string {
  return value?.startsWith('/') && !value.startsWith('//') && !value.startsWith('/sign-in') ? value : '/environments';
}

export function SignInPage() {
  useTitle('Sign in');
  const { session, signedIn } = useSession();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useAction();

  if (session === undefined) return <Loading label="Checking your session…" />;
  if (session) return <Navigate to={safeNext(params.get('next'))} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void signIn.run(async () => {
      try {
        signedIn(await post<Session>('/console/v1/sign-in', { email: email.trim(), password }));
      } catch (reason) {
        setPassword('');
        throw reason;
      }
    });
  };

  return (
    <main className="auth-page" id="main">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <p className="brand">Keyplane</p>
        <h1 id="sign-in-title">Sign in</h1>
        {params.get('ended') ? <p className="notice">Your session ended. Sign in again to continue.</p> : null}
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorMessage error={signIn.error} />
        <button type="submit" className="primary" disabled={signIn.busy}>
          {signIn.busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">Invited? Open the link from your invitation to set a password.</p>
      </form>
    </main>
  );
}
