import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, get, onSessionEnded, post, setCsrfToken } from './api';
import type { Session } from './types';

interface SessionState {
  session: Session | null | undefined;
  signedIn: (session: Session) => void;
  signOut: () => Promise<void>;
  /** Set when the server ended the session (expiry, a password change elsewhere). */
  ended: boolean;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  // undefined while the first GET /console/v1/session is under way; null when signed out.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [ended, setEnded] = useState(false);

  const signedIn = useCallback((next: Session) => {
    setCsrfToken(next.csrf_token);
    setEnded(false);
    setSession(next);
  }, []);

  useEffect(() => {
    get<Session>('/console/v1/session').then(signedIn, (error: unknown) => {
      if (!(error instanceof ApiError) || error.status !== 401) console.warn('session check failed', error);
      setSession(null);
    });
  }, [signedIn]);

  useEffect(() => {
    onSessionEnded(() => {
      setCsrfToken(undefined);
      setEnded(true);
      setSession(null);
    });
    return () => onSessionEnded(undefined);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await post('/console/v1/sign-out');
    } finally {
      setCsrfToken(undefined);
      setSession(null);
    }
  }, []);

  const value = useMemo(() => ({ session, signedIn, signOut, ended }), [session, signedIn, signOut, ended]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in session; only for pages rendered inside the signed-in layout. */
export function useSignedIn(): Session {
  const { session } = useSession();
  if (!session) throw new Error('useSignedIn without a session');
  return session;
}
