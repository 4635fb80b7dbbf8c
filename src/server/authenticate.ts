// Checks the caller's API key (`Authorization: Bearer <key>`). Shape and length are checked before any comparison,
// and the comparison is constant-time over hashes, so neither timing nor odd input reveals anything.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AuthenticationError } from '../wire/index.ts';

/** Keys are printable ASCII without spaces; anything longer than this is rejected before lookup. */
const MAX_KEY_LENGTH = 256;
const KEY_SHAPE = /^[\x21-\x7e]+$/;

/** Who is calling. Virtual keys and tenants extend this later. */
export interface Principal {
  kind: 'master';
  keyId: 'master';
}

/** Hash of a key as kept in memory for comparison. */
export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Extracts the bearer key, rejecting missing, malformed or oversized headers with OpenAI's 401 wording. */
export function readBearerKey(req: IncomingMessage): string {
  const header = req.headers.authorization;
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

/** Authenticates the request against the master key hash. */
export function authenticate(req: IncomingMessage, masterKeyHash: Buffer): Principal {
  const key = readBearerKey(req);
  if (!timingSafeEqual(hashKey(key), masterKeyHash)) {
    throw new AuthenticationError(`Incorrect API key provided: ${maskKey(key)}.`, 'invalid_api_key');
  }
  return { kind: 'master', keyId: 'master' };
}

/** `sk-cw-abcdef...wxyz` -> `sk-cw-ab****wxyz`, as OpenAI masks keys in its errors; short keys are fully masked. */
export function maskKey(key: string): string {
  if (key.length < 12) return '****';
  return `${key.slice(0, 8)}****${key.slice(-4)}`;
}
