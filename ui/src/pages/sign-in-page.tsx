// Sign-in: the master key or an admin key, or single sign-on when the gateway has an identity provider configured.
// A failed single sign-on comes back as /ui/?login_error=<code>, shown here.
import { useEffect, useState } from 'preact/hooks';
import { type User, readConfig, signIn } from '../api.ts';

/** The gateway's `login_error` codes, in words; an unknown code is shown as its (bounded) self. */
const LOGIN_ERRORS: Record<string, string> = {
  oidc_disabled: 'single sign-on is not configured on this gateway.',
  oidc_unavailable: 'the identity provider could not be reached. Try again in a moment.',
  state_mismatch: 'the sign-in took too long or was started in another tab. Try again.',
  idp_error: 'the identity provider refused the sign-in.',
  token_invalid: 'the identity provider’s answer could not be verified.',
  no_role: 'your account has no role on this gateway. Ask an administrator for access.',
  unknown_tenant: 'your account names a tenant this gateway does not have.',
  domain_not_allowed: 'your account’s e-mail domain may not sign in here.',
  rate_limited: 'too many sign-ins from this address. Wait a minute and try again.',
};

export function SignInPage(props: { onSignedIn: (user: User) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [oidc, setOidc] = useState<{ enabled: boolean; login_url: string; name: string } | null>(null);
  const loginError = new URLSearchParams(window.location.search).get('login_error');

  useEffect(() => {
    readConfig().then((config) => setOidc(config.oidc));
  }, []);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await signIn(key.trim());
      setKey('');
      props.onSignedIn(user);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in" id="main">
      <div class="sign-in-card">
        <p class="brand brand-large">
          <span class="brand-mark" aria-hidden="true" />
          Crossway
        </p>
        <h1 id="page-title" tabIndex={-1}>
          Sign in to the dashboard
        </h1>
        {loginError === null ? null : (
          <p class="notice notice-error" role="alert">
            Single sign-on failed: {LOGIN_ERRORS[loginError] ?? loginError.replace(/[^a-z_]/g, '').slice(0, 40)}
          </p>
        )}
        {oidc?.enabled === true ? (
          <>
            <a class="button button-primary button-wide" href={oidc.login_url}>
              Sign in with {oidc.name || 'single sign-on'}
            </a>
            <p class="divider">
              <span>or with a key</span>
            </p>
          </>
        ) : null}
        <form onSubmit={submit}>
          <label class="field">
            <span class="field-label">Master key or admin key</span>
            <input
              type="password"
              name="key"
              autoComplete="off"
              spellcheck={false}
              required
              maxLength={512}
              value={key}
              onInput={(event) => setKey(event.currentTarget.value)}
            />
          </label>
          {error === null ? null : (
            <p class="notice notice-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="button button-primary button-wide" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p class="fine-print">The key opens a session in this browser; it is not stored here.</p>
      </div>
    </main>
  );
}
