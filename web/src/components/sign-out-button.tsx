import { useNavigate } from 'react-router';
import { useSession } from '../session';

/** Ends the session, then shows the sign-in page in place of the one signed out of. */
export function SignOutButton() {
  const { signOut } = useSession();
  const navigate = useNavigate();
  return (
    <button
      type="button"
      onClick={async () => {
        await signOut();
        navigate('/sign-in', { replace: true });
      }}
    >
      Sign out
    </button>
  );
}
