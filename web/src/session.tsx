import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, get, onSessionEnded, post, setSessionCredentials } from './api';
import type { Session } from './types';

interface SessionState {
  session: Session | null | undefined;
  signedIn: (session: Session) => void;
  /** Ends the session; throws, keeping the user signed in, when the server did not end it. */
  signOut: () => Promise<void>;
  /** Set when the server ended the session (expiry, a password change elsewhere). */
  ended: boolean;
  /** Why the first session check failed (not a 401: the server or the network); shown on the sign-in page. */
  checkError: unknown;
  /** True while a new key's secret is on screen and not yet saved: leaving asks first, signing out too. */
  unsavedSecret: boolean;
  setUnsavedSecret: (unsaved: boolean) => void;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  // undefined while the first GET /console/v1/session is under way; null when signed out.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [ended, setEnded] = useState(false);
  const [checkError, setCheckError] = useState<unknown>();
  const [unsavedSecret, setUnsavedSecret] = useState(false);

  const signedIn = useCallback((next: Session) => {
    setSessionCredentials(next);
    setEnded(false);
    setCheckError(undefined);
    setSession(next);
  }, []);

  useEffect(() => {
    get<Session>('/console/v1/session').then(signedIn, (error: unknown) => {
      if (!(error instanceof ApiError) || error.status !== 401) setCheckError(error);
      setSession(null);
    });
  }, [signedIn]);

  useEffect(() => {
    onSessionEnded(() => {
      setSessionCredentials(undefined);
      setEnded(true);
      setSession(null);
    });
    return () => onSessionEnded(undefined);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await post('/console/v1/sign-out');
    } catch (error) {
      // 401: the session had already ended, which is what signing out wanted. Anything else left the cookie valid.
      if (!(error instanceof ApiError && error.status === 401 && error.code === 'session_invalid')) throw error;
    }
    setSessionCredentials(undefined);
    setSession(null);
  }, []);

  const value = useMemo(
    () => ({ session, signedIn, signOut, ended, checkError, unsavedSecret, setUnsavedSecret }),
    [session, signedIn, signOut, ended, checkError, unsavedSecret],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The CRN of the signed-in user's organization, as role bindings name it. */
export function organizationCrn(session: Session): string {
  return `crn://confluent.cloud/organization=${session.organization_id}`;
}

/** The signed-in session; only for pages rendered inside the signed-in layout. */
export function useSignedIn(): Session {
  const { session } = useSession();
  if (!session) throw new Error('useSignedIn without a session');
  return session;
}
