import { type ReactNode, useState } from 'react';
import { Navigate, NavLink, Outlet, useLocation } from 'react-router';
import { listAll } from './api';
import { SignOutButton } from './components/sign-out-button';
import { Loading } from './components/ui';
import { useLoad } from './hooks';
import { organizationCrn, useSession, useSignedIn } from './session';
import type { RoleBinding, Session } from './types';

/** Pages behind sign-in: a visitor without a session goes to the sign-in page and comes back. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { session, ended } = useSession();
  const location = useLocation();
  if (session === undefined) return <Loading label="Checking your session…" />;
  if (session === null) {
    const next = `${location.pathname}${location.search}`;
    const query = new URLSearchParams({ next });
    if (ended) query.set('ended', '1');
    return <Navigate to={`/sign-in?${query}`} replace />;
  }
  return <>{children}</>;
}

/** Roles bound at the organization that let a user read the audit log (AuditLog:Read). */
const AUDIT_READERS = new Set(['OrganizationAdmin', 'AuditLogReader']);

const administration = [
  { to: '/cloud-api-keys', title: 'Cloud API keys' },
  { to: '/service-accounts', title: 'Service accounts' },
  { to: '/users', title: 'Users & invitations' },
  { to: '/role-bindings', title: 'Role bindings' },
  { to: '/audit-log', title: 'Audit log', roles: AUDIT_READERS },
];

/**
 * The roles the signed-in user holds on the organization itself, read from their own role
 * bindings (anyone may list their own). Undefined until known or when they cannot be read: then
 * every page is offered and the API answers for itself.
 */
function useOrganizationRoles(session: Session): Set<string> | undefined {
  const orgCrn = organizationCrn(session);
  const bindings = useLoad(
    () => listAll<RoleBinding>('/iam/v2/role-bindings', { crn_pattern: orgCrn, principal: `User:${session.user.id}` }),
    [orgCrn, session.user.id],
  );
  return bindings.data ? new Set(bindings.data.map((b) => b.role_name)) : undefined;
}

export function Layout() {
  const session = useSignedIn();
  const organizationRoles = useOrganizationRoles(session);
  const offered = administration.filter((item) => !item.roles || !organizationRoles || [...item.roles].some((r) => organizationRoles.has(r)));
  const location = useLocation();
  // The narrow-window menu is open on the page it was opened on; navigating closes it.
  const [menuOpenOn, setMenuOpenOn] = useState<string>();
  const menuOpen = menuOpenOn === location.pathname;

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/environments" className="brand">
          Keyplane
        </NavLink>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpenOn(menuOpen ? undefined : location.pathname)}
        >
          Menu
        </button>
        <div className="account">
          <NavLink to="/account" className="who" title={session.user.email}>
            {session.user.full_name || session.user.email}
          </NavLink>
          <SignOutButton />
        </div>
      </header>
      <div className="body">
        <nav id="sidebar" aria-label="Main" className={menuOpen ? 'sidebar open' : 'sidebar'}>
          <ul>
            <li>
              <NavLink to="/environments">Environments</NavLink>
            </li>
          </ul>
          <p className="nav-group" id="nav-admin">
            Administration
          </p>
          <ul aria-labelledby="nav-admin">
            {offered.map((item) => (
              <li key={item.to}>
                <NavLink to={item.to}>{item.title}</NavLink>
              </li>
            ))}
          </ul>
          <ul>
            <li>
              <NavLink to="/account">My account</NavLink>
            </li>
          </ul>
        </nav>
        <main id="main">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
