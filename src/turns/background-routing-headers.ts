// The routing headers a background response keeps with its stored request, so that a job resumed after a restart is
// routed under the same `x-crossway-*` constraints as when it was created (the body's `crossway` object is kept with
// the request already).
import { CONSTRAINT_HEADERS, type RequestHeaders } from '../policy/index.ts';
import { InvalidRequestError } from '../wire/index.ts';

/** The field of a stored background request holding its constraint headers. Never sent anywhere. */
export const STORED_ROUTING_HEADERS_FIELD = 'crossway_routing_headers';

/**
 * Bytes of constraint header values a background response keeps: at most 16 KiB in all (Node's default limit on a
 * request's whole header block, so an ordinary request never reaches it).
 */
export const ROUTING_HEADERS_BYTES_LIMIT = 16 * 1024;

const NAMES: readonly string[] = Object.values(CONSTRAINT_HEADERS);

/**
 * The constraint headers of a request (repeated ones joined with commas, as HTTP lists are), and nothing else: no
 * credential or other header is kept. 400 naming the header that takes them past ROUTING_HEADERS_BYTES_LIMIT.
 */
export function pickRoutingHeaders(headers: RequestHeaders): Record<string, string> {
  const picked: Record<string, string> = {};
  let bytes = 0;
  for (const name of NAMES) {
    const value = headers[name];
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : value;
    bytes += Buffer.byteLength(name) + Buffer.byteLength(text);
    if (bytes > ROUTING_HEADERS_BYTES_LIMIT) {
      throw new InvalidRequestError(
        `Invalid header '${name}': the routing headers of a background response may hold at most ${ROUTING_HEADERS_BYTES_LIMIT} bytes.`,
        name,
        'invalid_value',
      );
    }
    picked[name] = text;
  }
  return picked;
}

/** The constraint headers kept with a stored request (only known names with string values; anything else is ignored). */
export function readStoredRoutingHeaders(request: Record<string, unknown>): Record<string, string> {
  const stored = request[STORED_ROUTING_HEADERS_FIELD];
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return {};
  const headers: Record<string, string> = {};
  for (const name of NAMES) {
    const value = (stored as Record<string, unknown>)[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}
