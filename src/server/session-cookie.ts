// The dashboard session cookie (`crossway_session`: HttpOnly, SameSite=Strict, Path=/, Secure unless plain http to a
// loopback host) and the request facts sign-in reads: the client address and whether Origin names this host.
import type { IncomingMessage } from 'node:http';
import type { UiConfig } from '../catalog/index.ts';

export const SESSION_COOKIE = 'crossway_session';

/** The Cookie header is read only up to this many characters (node:http already bounds the header block). */
const MAX_COOKIE_HEADER = 8192;
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The value of cookie `name`, or undefined; undefined too when the request carries it twice with different values.
 * This host only ever sets one (Path=/, no Domain): a second was set by a sibling subdomain or for a narrower path
 * ("cookie tossing"), and the browser sends the narrower first, so taking the first would let another site choose the
 * session a victim's dashboard acts in.
 */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined || header.length > MAX_COOKIE_HEADER) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at === -1 || part.slice(0, at).trim() !== name) continue;
    const value = part.slice(at + 1).trim();
    if (found !== undefined && found !== value) return undefined;
    found = value;
  }
  return found;
}

/** The host name (without port) the request was sent to, lower-cased; '' when absent. */
function hostNameOf(host: string | undefined): string {
  if (host === undefined) return '';
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.indexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

/**
 * Whether cookies get the Secure flag: `ui.cookie_secure` when set; otherwise always, except on plain http to a
 * loopback host (a local `npm start`, where the browser would drop a Secure cookie sent over http).
 */
export function isCookieSecure(req: IncomingMessage, config: UiConfig): boolean {
  if (config.cookie_secure !== undefined) return config.cookie_secure;
  const forwardedProto = req.headers['x-forwarded-proto'];
  const https = 'encrypted' in req.socket || forwardedProto === 'https';
  return https || !LOOPBACK_HOSTS.has(hostNameOf(req.headers.host));
}

/** A Set-Cookie value; `maxAgeSeconds` 0 clears it. */
export function formatCookie(
  name: string,
  value: string,
  options: { maxAgeSeconds: number; secure: boolean; path?: string; sameSite?: 'Strict' | 'Lax' },
): string {
  const parts = [`${name}=${value}`, `Path=${options.path ?? '/'}`, 'HttpOnly', `SameSite=${options.sameSite ?? 'Strict'}`, `Max-Age=${options.maxAgeSeconds}`];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The client's address (the socket's peer: a forwarding proxy's own address unless it is the client). */
export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** False when an Origin header is present and names another host than the request's Host (a cross-site request). */
export function isSameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  try {
    return new URL(origin).host.toLowerCase() === (req.headers.host ?? '').toLowerCase();
  } catch {
    return false;
  }
}
