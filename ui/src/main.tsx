// The dashboard's entry: restores the session (or shows the sign-in page), then the shell (skip link, navigation,
// who is signed in, sign out) around the page the location names. Pages a role cannot use are not offered.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type User, restoreSession, signOut, whenSignedOut } from './api.ts';
import { AuditPage } from './pages/audit-page.tsx';
import { LedgerPage } from './pages/ledger-page.tsx';
import { OverviewPage } from './pages/overview-page.tsx';
import { RequestsPage } from './pages/requests-page.tsx';
import { RoutesPage } from './pages/routes-page.tsx';
import { SignInPage } from './pages/sign-in-page.tsx';
import { TenantsPage } from './pages/tenants-page.tsx';
import { href, useLocation } from './router.ts';
import './styles.css';

interface PageEntry {
  id: string;
  label: string;
  /** Only the gateway-wide admin (routes and plans are the operator's, not a tenant's). */
  adminOnly?: boolean;
}

const PAGES: PageEntry[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'routes', label: 'Routes', adminOnly: true },
  { id: 'requests', label: 'Requests' },
  { id: 'tenants', label: 'Tenants & keys' },
  { id: 'ledger', label: 'Ledger' },
  { id: 'audit', label: 'Audit log' },
];

function roleName(user: User): string {
  if (user.role === 'admin') return 'Administrator';
  if (user.role === 'tenant_admin') return `Admin of ${user.tenant_id ?? 'a tenant'}`;
  return `Viewer${user.tenant_id === null ? '' : ` of ${user.tenant_id}`}`;
}

function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const location = useLocation();

  useEffect(() => {
    whenSignedOut(() => setUser(null));
    restoreSession().then(setUser, () => setUser(null));
  }, []);

  // Focus moves to the new page's heading, so that keyboard and screen-reader users start at its top.
  useEffect(() => {
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [location.page, location.rest[0]]);

  if (user === undefined) return <p class="splash">Loading…</p>;
  if (user === null) return <SignInPage onSignedIn={setUser} />;

  const pages = PAGES.filter((page) => page.adminOnly !== true || user.role === 'admin');
  const current = pages.find((page) => page.id === location.page) ?? pages[0]!;
  const canWrite = user.role !== 'viewer';

  return (
    <div class="shell">
      {/* A button, not a link: the hash is the router's, so the skip moves focus itself instead of changing it. */}
      <button type="button" class="skip-link" onClick={() => document.getElementById('page-title')?.focus()}>
        Skip to content
      </button>
      <header class="topbar">
        <a class="brand" href={href('overview')}>
          <span class="brand-mark" aria-hidden="true" />
          Crossway
        </a>
        <nav class="nav" aria-label="Dashboard">
          <ul>
            {pages.map((page) => (
              <li key={page.id}>
                <a href={href(page.id)} aria-current={page.id === current.id ? 'page' : undefined}>
                  {page.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="who-name" title={user.via === 'oidc' ? 'Signed in with single sign-on' : 'Signed in with a key'}>
            {user.name}
            <span class="who-role">{roleName(user)}</span>
          </span>
          <button
            type="button"
            class="button button-quiet"
            onClick={() => {
              void signOut().finally(() => setUser(null));
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="main">
        {current.id === 'overview' ? <OverviewPage user={user} /> : null}
        {current.id === 'routes' ? <RoutesPage /> : null}
        {current.id === 'requests' ? <RequestsPage user={user} requestId={location.rest[0] ?? null} /> : null}
        {current.id === 'tenants' ? <TenantsPage user={user} canWrite={canWrite} /> : null}
        {current.id === 'ledger' ? <LedgerPage user={user} /> : null}
        {current.id === 'audit' ? <AuditPage user={user} /> : null}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
