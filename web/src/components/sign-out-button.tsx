import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useAction } from '../hooks';
import { useSession } from '../session';
import { LeaveSecretDialog } from './leave-secret-dialog';
import { ErrorMessage } from './ui';

/**
 * Ends the session, then shows the sign-in page in place of the one signed out of. With a new
 * key's secret unsaved on screen it asks first; when the server does not end the session, the
 * user stays signed in and is told why.
 */
export function SignOutButton() {
  const { signOut, unsavedSecret } = useSession();
  const navigate = useNavigate();
  const action = useAction();
  const [asking, setAsking] = useState(false);
  const [failed, setFailed] = useState<unknown>();

  const signOutNow = () =>
    action.run(async () => {
      setFailed(undefined);
      try {
        await signOut();
      } catch (reason) {
        setFailed(new Error(`You are still signed in: ${reason instanceof Error ? reason.message : 'signing out failed.'}`));
        return;
      }
      navigate('/sign-in', { replace: true });
    });

  return (
    <>
      {failed ? (
        <div className="sign-out-error">
          <ErrorMessage error={failed} />
        </div>
      ) : null}
      <button
        type="button"
        disabled={action.busy}
        onClick={() => {
          if (unsavedSecret) setAsking(true);
          else void signOutNow();
        }}
      >
        Sign out
      </button>
      {asking ? (
        <LeaveSecretDialog
          leave="Sign out"
          onStay={() => setAsking(false)}
          onLeave={() => {
            setAsking(false);
            void signOutNow();
          }}
        />
      ) : null}
    </>
  );
}
