// Cookie authentication for the dashboard: the session cookie stands in for a bearer key on /admin/*, /metrics and
// /ui/api/* (never on /v1/*). A state-changing request must also carry the session's CSRF token (and, when it sends
// Origin, come from this host), and a viewer may only read.
import { AuthenticationError, PermissionDeniedError } from '../wire/index.ts';
import type { Exchange, GatewayContext } from './gateway-types.ts';
import { isSameOrigin, readCookie, SESSION_COOKIE } from './session-cookie.ts';

export const CSRF_HEADER = 'x-crossway-csrf';

/** Paths on which the session cookie is accepted. */
const COOKIE_PATHS = ['/admin/', '/ui/api/'];
const COOKIE_EXACT_PATHS: ReadonlySet<string> = new Set(['/metrics']);
/** Requests that change nothing, whatever their method: a viewer may send them (POST /admin/plan only computes a plan). */
const READ_ONLY_POSTS: ReadonlySet<string> = new Set(['/admin/plan']);
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** True when the request carries no key but a session cookie, on a route that accepts the cookie. */
export function usesSessionCookie(exchange: Exchange): boolean {
  const { req, route } = exchange;
  const path = route.path;
  if (!COOKIE_EXACT_PATHS.has(path) && !COOKIE_PATHS.some((prefix) => path.startsWith(prefix))) return false;
  // A key, when sent, is what authenticates (and a bad one is refused, not overridden by a cookie).
  if (req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined) return false;
  return readCookie(req, SESSION_COOKIE) !== undefined;
}

/** Resolves the session cookie to the caller; 401 when the session is not live, 403 on a missing CSRF token, a foreign Origin or a viewer's write. */
export async function authenticateSession(gateway: GatewayContext, exchange: Exchange): Promise<void> {
  const token = readCookie(exchange.req, SESSION_COOKIE) ?? '';
  const session = await gateway.dashboardSessions.resolve(token);
  if (session === null) throw new AuthenticationError('Your dashboard session has ended or is not valid; sign in again.', 'session_expired');
  const method = exchange.req.method ?? 'GET';
  if (!SAFE_METHODS.has(method)) {
    if (!isSameOrigin(exchange.req)) {
      throw new PermissionDeniedError('Cross-origin request refused: the Origin header does not match this host.', 'origin_mismatch');
    }
    const presented = exchange.req.headers[CSRF_HEADER];
    if (!gateway.dashboardSessions.checkCsrf(session, typeof presented === 'string' ? presented : undefined)) {
      throw new PermissionDeniedError(`A missing or wrong CSRF token: send the session's csrf_token in the ${CSRF_HEADER} header.`, 'csrf_token_invalid');
    }
    const signOut = exchange.route.path === '/ui/api/session';
    if (session.record.role === 'viewer' && !signOut && !READ_ONLY_POSTS.has(exchange.route.path)) {
      throw new PermissionDeniedError('A viewer may only read.', 'read_only_role');
    }
  }
  exchange.principal = session.principal;
  exchange.session = session;
}
