import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { Layout, RequireSession } from './layout';
import { AcceptInvitationPage } from './pages/accept-invitation';
import { AccountPage } from './pages/account';
import { AuditLogPage } from './pages/audit-log';
import { CloudApiKeysPage } from './pages/cloud-api-keys';
import { CreateKeyPage } from './pages/create-key';
import { EnvironmentPage } from './pages/environment';
import { EnvironmentsPage } from './pages/environments';
import { NotFoundPage } from './pages/not-found';
import { ResourcePage } from './pages/resource';
import { RoleBindingsPage } from './pages/role-bindings';
import { ServiceAccountsPage } from './pages/service-accounts';
import { SignInPage } from './pages/sign-in';
import { UsersPage } from './pages/users';
import { SessionProvider } from './session';
import './styles.css';

const router = createBrowserRouter([
  { path: '/sign-in', element: <SignInPage /> },
  { path: '/accept-invitation', element: <AcceptInvitationPage /> },
  {
    element: (
      <RequireSession>
        <Layout />
      </RequireSession>
    ),
    children: [
      { index: true, element: <Navigate to="/environments" replace /> },
      { path: '/environments', element: <EnvironmentsPage /> },
      { path: '/environments/:environmentId', element: <EnvironmentPage /> },
      { path: '/environments/:environmentId/:kind/:resourceId', element: <ResourcePage /> },
      { path: '/api-keys/new', element: <CreateKeyPage /> },
      { path: '/cloud-api-keys', element: <CloudApiKeysPage /> },
      { path: '/service-accounts', element: <ServiceAccountsPage /> },
      { path: '/users', element: <UsersPage /> },
      { path: '/role-bindings', element: <RoleBindingsPage /> },
      { path: '/audit-log', element: <AuditLogPage /> },
      { path: '/account', element: <AccountPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider>
      <RouterProvider router={router} />
    </SessionProvider>
  </StrictMode>,
);
