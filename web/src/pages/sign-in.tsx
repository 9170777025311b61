import { type FormEvent, useEffect, useState } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { ApiError, post } from '../api';
import { ErrorMessage, Loading } from '../components/ui';
import { useAction, useTitle } from '../hooks';
import { sitePath } from '../paths';
import { useSession } from '../session';
import type { Session } from '../types';

/** Where to go after signing in: a path on this site only. */
export function safeNext(value: string | null): string {
  const path = sitePath(value, '/environments');
  return path.startsWith('/sign-in') ? '/environments' : path;
}

export function SignInPage() {
  useTitle('Sign in');
  const { session, signedIn, checkError } = useSession();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useAction();
  // The server refuses sign-ins until Retry-After passes: so does the button.
  const [throttled, setThrottled] = useState(false);
  useEffect(() => {
    const wait = retryAfterMs(signIn.error);
    if (wait === undefined) return;
    setThrottled(true);
    const timer = setTimeout(() => setThrottled(false), wait);
    return () => clearTimeout(timer);
  }, [signIn.error]);

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
        {checkError && !signIn.error ? (
          <ErrorMessage error={new Error(`Your session could not be checked: ${checkError instanceof Error ? checkError.message : 'the server did not answer.'}`)} />
        ) : null}
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
        <button type="submit" className="primary" disabled={signIn.busy || throttled}>
          {signIn.busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">Invited? Open the link from your invitation to set a password.</p>
      </form>
    </main>
  );
}

/** How long a throttled sign-in must wait, from the 429's Retry-After (seconds or an HTTP date). */
function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof ApiError) || error.status !== 429 || !error.retryAfter) return undefined;
  const seconds = Number(error.retryAfter);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(error.retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
