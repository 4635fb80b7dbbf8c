// The dashboard's sign-in API: POST /ui/api/session (sign in with the master or an admin key), GET (who am I, with a
// CSRF token), DELETE (sign out), and GET /ui/api/config (what the sign-in page offers). The key is checked once and
// never stored; the session cookie carries a random id whose hash the store keeps.
import type { Principal } from '../calls/index.ts';
import { AuthenticationError, InvalidRequestError, PermissionDeniedError, RateLimitError, toCrosswayError } from '../wire/index.ts';
import { authenticateKey, isKeyShaped } from './authenticate.ts';
import { actorOf } from './audit-trail.ts';
import type { ResolvedSession } from './dashboard-sessions.ts';
import type { Exchange, GatewayContext, RouteEntry } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';
import { readJsonBody } from './read-body.ts';
import { clientAddress, formatCookie, isCookieSecure, isSameOrigin, SESSION_COOKIE } from './session-cookie.ts';

/** A sign-in body holds one key: anything larger is refused unread. */
const SIGN_IN_BODY_LIMIT = 4096;
const NO_STORE = { 'cache-control': 'no-store' };

/** The body of POST and GET /ui/api/session. */
export function describeSession(session: ResolvedSession): { user: ResolvedSession['user']; csrf_token: string } {
  return { user: session.user, csrf_token: session.csrfToken };
}

/** The session cookie for `token`, living as long as the session may. */
export function sessionCookieFor(gateway: GatewayContext, exchange: Exchange, token: string): string {
  const config = gateway.dashboardSessions.config;
  return formatCookie(SESSION_COOKIE, token, { maxAgeSeconds: config.session_ttl, secure: isCookieSecure(exchange.req, config) });
}

/** 429 when the client address used up its sign-in attempts (checked before anything else of a sign-in). */
export async function takeSignInAttempt(gateway: GatewayContext, exchange: Exchange): Promise<void> {
  const attempt = await gateway.dashboardSessions.takeSignInAttempt(clientAddress(exchange.req));
  if (!attempt.allowed) throw new RateLimitError('Too many sign-in attempts from this address; try again later.', 'requests', attempt.retryAfterMs);
}

async function signInWithKey(gateway: GatewayContext, exchange: Exchange) {
  await takeSignInAttempt(gateway, exchange);
  if (!isSameOrigin(exchange.req)) throw new PermissionDeniedError('Cross-origin sign-in refused.', 'origin_mismatch');
  const body = await readJsonBody(exchange.req, Math.min(SIGN_IN_BODY_LIMIT, gateway.bodyLimitBytes), exchange.rawBody);
  const key = body.key;
  if (typeof key !== 'string' || key === '') throw new InvalidRequestError('Send {"key": "<master or admin key>"}.', 'key', 'missing_key');
  const ip = clientAddress(exchange.req);
  let principal: Principal;
  try {
    if (!isKeyShaped(key)) throw new AuthenticationError('Incorrect API key provided.', 'invalid_api_key');
    principal = await authenticateKey(key, gateway);
  } catch (error) {
    const status = toCrosswayError(error).status;
    const outcome = status === 401 || status === 403 ? 'denied' : 'error';
    await gateway.audit.record({ actor: { kind: 'key', id: null, name: null }, tenant_id: null, action: 'login.failed', target: null, outcome, ip });
    throw error;
  }
  if (!principal.admin) {
    await gateway.audit.record({
      actor: actorOf(principal, undefined),
      tenant_id: principal.tenant.id,
      action: 'login.failed',
      target: null,
      outcome: 'denied',
      ip,
    });
    throw new PermissionDeniedError(
      'This API key is not an admin key: the dashboard needs the master key or a key created with "admin": true.',
      'not_admin_key',
    );
  }
  const name = principal.kind === 'master' ? 'master key' : (principal.key?.name ?? principal.key?.id ?? 'admin key');
  const { token, session } = await gateway.dashboardSessions.open({ via: 'key', principal, name });
  await gateway.audit.record({
    actor: actorOf(principal, undefined),
    tenant_id: session.user.tenant_id,
    action: 'login',
    target: { type: 'session', id: null },
    outcome: 'ok',
    ip,
  });
  return jsonResult(200, describeSession(session), { ...NO_STORE, 'set-cookie': sessionCookieFor(gateway, exchange, token) });
}

function requireSession(exchange: Exchange): ResolvedSession {
  if (exchange.session === undefined) throw new AuthenticationError('No dashboard session: sign in first.', 'no_session');
  return exchange.session;
}

/** The routes, for the gateway's route table. */
export const UI_SESSION_ROUTES: RouteEntry[] = [
  { method: 'POST', path: '/ui/api/session', auth: false, handler: (gateway, exchange) => signInWithKey(gateway, exchange) },
  {
    method: 'GET',
    path: '/ui/api/session',
    auth: true,
    handler: async (_gateway, exchange) => jsonResult(200, describeSession(requireSession(exchange)), NO_STORE),
  },
  {
    method: 'DELETE',
    path: '/ui/api/session',
    auth: true,
    handler: async (gateway, exchange) => {
      const session = requireSession(exchange);
      await gateway.dashboardSessions.end(session);
      await gateway.audit.record({
        actor: actorOf(session.principal, session),
        tenant_id: session.user.tenant_id,
        action: 'logout',
        target: { type: 'session', id: null },
        outcome: 'ok',
        ip: clientAddress(exchange.req),
      });
      const config = gateway.dashboardSessions.config;
      const cleared = formatCookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: isCookieSecure(exchange.req, config) });
      return { status: 204, headers: { ...NO_STORE, 'set-cookie': cleared }, body: '' };
    },
  },
  {
    method: 'GET',
    path: '/ui/api/config',
    auth: false,
    handler: async (gateway) =>
      jsonResult(200, { oidc: { enabled: gateway.oidc !== null, login_url: '/ui/auth/oidc/login', name: gateway.oidc?.name ?? 'Single sign-on' } }),
  },
];
