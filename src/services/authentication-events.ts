/**
 * What each authentication saw, handed to observers on the request's path: they must only
 * record (in memory, for a batch), never wait on I/O. Nothing here may carry a secret.
 */
export interface AuthenticationEvent {
  /** Milliseconds since the epoch. */
  time: number;
  outcome: 'success' | 'failure';
  /** The failure's reason code. */
  reason?: string;
  /** A well-formed key id as sent; never the secret. */
  keyId?: string;
  /** The key's owner, once the secret was right. */
  principalId?: string;
  /** The resource the key was presented for (data plane). */
  resource?: string;
  clientAddress?: string;
  /** `console`: a console sign-in, which names no key. */
  via: 'management' | 'verify' | 'nginx' | 'console';
}

export interface AuthenticationObserver {
  authenticated(event: AuthenticationEvent): void;
}

export const ignoreAuthentications: AuthenticationObserver = { authenticated: () => {} };

/** One observer that tells each of `observers`, in order. */
export function observeAll(...observers: AuthenticationObserver[]): AuthenticationObserver {
  return {
    authenticated(event) {
      for (const observer of observers) observer.authenticated(event);
    },
  };
}
