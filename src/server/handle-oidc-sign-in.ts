// The browser's side of OpenID Connect sign-in: GET /ui/auth/oidc/login sends it to the IdP (with the flow cookie),
// GET /ui/auth/oidc/callback takes it back, opens a session and sends it to /ui/. Every failure lands on
// `/ui/?login_error=<code>` (a fixed word, never text from the request) and is audited.
import { toCrosswayError } from '../wire/index.ts';
import type { Exchange, GatewayContext, HttpResult, RouteEntry } from './gateway-types.ts';
import { sessionCookieFor, takeSignInAttempt } from './handle-ui-session.ts';
import { readQuery } from './admin-access.ts';
import { OIDC_FLOW_COOKIE, OIDC_FLOW_PATH, OIDC_FLOW_TTL_SECONDS, type OidcFailure, OidcSignInError } from './oidc-sign-in.ts';
import { clientAddress, formatCookie, isCookieSecure, readCookie } from './session-cookie.ts';

const HOST_SHAPE = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$/;

function redirect(location: string, cookie?: string): HttpResult {
  const headers: Record<string, string> = { location, 'cache-control': 'no-store' };
  if (cookie !== undefined) headers['set-cookie'] = cookie;
  return { status: 302, headers, body: '' };
}

/** The flow cookie: SameSite=Lax, since the IdP's redirect back is a cross-site navigation that must carry it. */
function flowCookie(gateway: GatewayContext, exchange: Exchange, value: string, maxAgeSeconds: number): string {
  const secure = isCookieSecure(exchange.req, gateway.dashboardSessions.config);
  return formatCookie(OIDC_FLOW_COOKIE, value, { maxAgeSeconds, secure, path: OIDC_FLOW_PATH, sameSite: 'Lax' });
}

/** This gateway's origin as the browser reached it (for the default redirect URI); null when the Host header is malformed. */
function originOf(exchange: Exchange): string | null {
  const host = exchange.req.headers.host;
  if (host === undefined || !HOST_SHAPE.test(host)) return null;
  const https = 'encrypted' in exchange.req.socket || exchange.req.headers['x-forwarded-proto'] === 'https';
  return `${https ? 'https' : 'http'}://${host}`;
}

async function fail(gateway: GatewayContext, exchange: Exchange, code: OidcFailure, detail: string): Promise<HttpResult> {
  gateway.logger.warn({ requestId: exchange.requestId, login_error: code, detail }, 'OpenID Connect sign-in failed');
  await gateway.audit.record({
    actor: { kind: 'oidc', id: null, name: null },
    tenant_id: null,
    action: 'login.failed',
    target: null,
    outcome: code === 'oidc_unavailable' ? 'error' : 'denied',
    ip: clientAddress(exchange.req),
  });
  return redirect(`/ui/?login_error=${code}`, flowCookie(gateway, exchange, '', 0));
}

async function startOidcSignIn(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const oidc = gateway.oidc;
  if (oidc === null) return redirect('/ui/?login_error=oidc_disabled');
  try {
    await takeSignInAttempt(gateway, exchange);
  } catch {
    return fail(gateway, exchange, 'rate_limited', 'too many sign-in attempts');
  }
  const origin = originOf(exchange);
  if (origin === null) return fail(gateway, exchange, 'state_mismatch', 'malformed Host header');
  try {
    const { url, flowCookie: value } = await oidc.start(oidc.redirectUriFor(origin));
    return redirect(url, flowCookie(gateway, exchange, value, OIDC_FLOW_TTL_SECONDS));
  } catch (error) {
    const code = error instanceof OidcSignInError ? error.code : 'oidc_unavailable';
    return fail(gateway, exchange, code, (error as Error).message);
  }
}

async function finishOidcSignIn(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const oidc = gateway.oidc;
  if (oidc === null) return redirect('/ui/?login_error=oidc_disabled');
  try {
    const identity = await oidc.finish(readQuery(exchange), readCookie(exchange.req, OIDC_FLOW_COOKIE));
    if (identity.tenant !== null && (await gateway.store.getTenant(identity.tenant)) === null) {
      throw new OidcSignInError('unknown_tenant', 'the tenant claim names no live tenant');
    }
    const { token } = await gateway.dashboardSessions.open({ via: 'oidc', ...identity });
    await gateway.audit.record({
      actor: { kind: 'oidc', id: identity.subject, name: identity.name },
      tenant_id: identity.tenant,
      action: 'login',
      target: { type: 'session', id: null },
      outcome: 'ok',
      ip: clientAddress(exchange.req),
    });
    return redirect('/ui/', sessionCookieFor(gateway, exchange, token));
  } catch (error) {
    if (error instanceof OidcSignInError) return fail(gateway, exchange, error.code, error.message);
    gateway.logger.error({ err: toCrosswayError(error), requestId: exchange.requestId }, 'OpenID Connect callback failed');
    return fail(gateway, exchange, 'token_invalid', 'unexpected failure');
  }
}

/** The routes, for the gateway's route table. */
export const OIDC_SIGN_IN_ROUTES: RouteEntry[] = [
  { method: 'GET', path: `${OIDC_FLOW_PATH}/login`, auth: false, handler: (gateway, exchange) => startOidcSignIn(gateway, exchange) },
  { method: 'GET', path: `${OIDC_FLOW_PATH}/callback`, auth: false, handler: (gateway, exchange) => finishOidcSignIn(gateway, exchange) },
];
