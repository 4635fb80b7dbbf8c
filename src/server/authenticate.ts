// Checks the caller's API key (`Authorization: Bearer <key>`, or Anthropic's `x-api-key`): the master key, or a virtual key of a tenant. Shape and
// length are checked before any comparison or lookup (a lookup is a parameterised query on the key's keyed hash, so
// nothing a client sends ever reaches SQL text), and the master comparison is constant-time.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../calls/index.ts';
import type { ApiKeyRecord, TenantRecord } from '../store/index.ts';
import { AuthenticationError } from '../wire/index.ts';
import type { Middleware } from './gateway-types.ts';
import { authenticateSession, usesSessionCookie } from './authenticate-session.ts';

/** Keys are printable ASCII without spaces; anything longer than this is rejected before lookup. */
const MAX_KEY_LENGTH = 256;
const KEY_SHAPE = /^[\x21-\x7e]+$/;

/**
 * Extracts the caller's key: `Authorization: Bearer <key>`, else Anthropic's `x-api-key: <key>` (Anthropic's clients
 * send that one); missing, malformed or oversized keys are rejected with OpenAI's 401 wording.
 */
export function readBearerKey(req: IncomingMessage): string {
  const header = req.headers.authorization;
  const apiKey = req.headers['x-api-key'];
  if ((header === undefined || header === '') && typeof apiKey === 'string' && apiKey !== '') {
    if (apiKey.length > MAX_KEY_LENGTH || !KEY_SHAPE.test(apiKey))
      throw new AuthenticationError('Malformed x-api-key header: expected an API key.', 'invalid_api_key');
    return apiKey;
  }
  if (header === undefined || header === '') {
    throw new AuthenticationError(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      'missing_api_key',
    );
  }
  const match = /^Bearer +(\S+)\s*$/i.exec(header.length > MAX_KEY_LENGTH + 16 ? '' : header);
  const key = match?.[1];
  if (key === undefined || key.length > MAX_KEY_LENGTH || !KEY_SHAPE.test(key)) {
    throw new AuthenticationError('Malformed Authorization header: expected "Bearer <API key>".', 'invalid_api_key');
  }
  return key;
}

/** What authentication needs of the gateway. */
export interface Authenticators {
  /** The master key's bytes, compared in constant time. */
  masterKey: Buffer;
  masterTenant(): Promise<TenantRecord>;
  tenancy: { authenticate(secret: string): Promise<{ key: ApiKeyRecord; tenant: TenantRecord } | null> };
}

/** Authenticates the request: the master key, else a live (not revoked, not expired) virtual key. */
export async function authenticate(req: IncomingMessage, gateway: Authenticators): Promise<Principal> {
  return authenticateKey(readBearerKey(req), gateway);
}

/** The principal of a presented key (already checked for shape): the master key, else a live virtual key; 401 otherwise. */
export async function authenticateKey(key: string, gateway: Authenticators): Promise<Principal> {
  if (isMasterKey(key, gateway)) {
    return { kind: 'master', key: null, tenant: await gateway.masterTenant(), admin: true };
  }
  const found = await gateway.tenancy.authenticate(key);
  if (found === null) throw new AuthenticationError(`Incorrect API key provided: ${maskKey(key)}.`, 'invalid_api_key');
  return { kind: 'key', key: found.key, tenant: found.tenant, admin: found.key.admin };
}

/**
 * Constant-time comparison with the master key. Comparing the bytes is constant-time once the lengths match (cheaper
 * than hashing every presented key), and a length mismatch reveals only the master key's length.
 */
function isMasterKey(key: string, gateway: Authenticators): boolean {
  const presented = Buffer.from(key);
  return presented.length === gateway.masterKey.length && timingSafeEqual(presented, gateway.masterKey);
}

/** `sk-cw-abcdef...wxyz` -> `sk-cw-ab****wxyz`, as OpenAI masks keys in its errors; short keys are fully masked. */
export function maskKey(key: string): string {
  if (key.length < 12) return '****';
  return `${key.slice(0, 8)}****${key.slice(-4)}`;
}

/** Whether `key` has the shape of a key (printable ASCII, bounded). */
export function isKeyShaped(key: string): boolean {
  return key.length <= MAX_KEY_LENGTH && KEY_SHAPE.test(key);
}

/**
 * Authenticates the caller of a route that needs it, then, on `/v1/*`, takes one request from the caller's request
 * rate: the cheap checks before any expensive one (the body is not read yet). A request without a key may use the
 * dashboard session cookie, on the admin, metrics and dashboard API routes only (the model API stays bearer-only).
 */
export const authenticateCaller: Middleware = async (gateway, exchange, next) => {
  if (exchange.route.auth) {
    if (usesSessionCookie(exchange)) {
      await authenticateSession(gateway, exchange);
      return next();
    }
    const principal = await authenticate(exchange.req, gateway);
    exchange.principal = principal;
    if (exchange.route.path.startsWith('/v1/')) exchange.requestRate = await gateway.limiter.takeRequest(principal);
  }
  return next();
};
