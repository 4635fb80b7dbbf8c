// Idempotency-Key on POST /v1/* (Stripe's semantics, per tenant): the first request with a key runs and its successful
// response is stored; the same key with the same request within 24 h gets the stored response without a second
// upstream call; the same key with another request, or while the first still runs, is a 409.
// https://docs.stripe.com/api/idempotent_requests
import { createHash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { ConflictError, InvalidRequestError } from '../wire/index.ts';
import type { Exchange, GatewayContext } from './gateway-types.ts';
import { readBody } from './read-body.ts';
import { checkModelScope } from './route-request.ts';

/** Stripe's limit on key length. */
const MAX_KEY_LENGTH = 255;
const KEY_SHAPE = /^[\x21-\x7e]+$/;
/** How long a key and its stored response are kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/**
 * An in-flight claim older than this is taken to be left by a process that died, and may be taken over. Longer than
 * any request should run (the stream idle timeout bounds silence, not length), short enough to unblock a retry soon.
 */
export const IDEMPOTENCY_LEASE_MS = 15 * 60_000;
/** Response headers a replay repeats; the rest (date, request id, connection) belong to each response. */
const REPLAYED_HEADERS = /^(content-type|x-crossway-(route|attempts|decision|upstream-request-id))$/;

/**
 * Runs `handler` under an Idempotency-Key. Only 2xx responses are stored: a failed request (bad input, an upstream
 * error, a client that went away) releases the key, so that a retry runs again, as Stripe does for requests that fail
 * validation or conflict. The response is stored before its last byte is sent, so that a client that retries right
 * after its answer arrived gets the replay, never a 409 "in progress".
 */
export async function runIdempotent(gateway: GatewayContext, exchange: Exchange, header: string | string[], handler: () => Promise<void>): Promise<void> {
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY_SHAPE.test(key)) {
    throw new InvalidRequestError(
      `The Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters without spaces.`,
      null,
      'invalid_idempotency_key',
    );
  }
  const principal = exchange.principal;
  if (principal === null) return handler();
  const tenant = principal.tenant.id;
  exchange.rawBody = await readBody(exchange.req, gateway.bodyLimitBytes);
  const requestHash = createHash('sha256')
    .update(`${exchange.req.method ?? 'POST'} ${exchange.req.url ?? ''}\n`)
    .update(exchange.rawBody)
    .digest('hex');
  const now = Date.now();
  const claim = await gateway.store.claimIdempotencyKey({
    tenant,
    key,
    request_hash: requestHash,
    created_at: new Date(now).toISOString(),
    lease_expires_at: new Date(now + IDEMPOTENCY_LEASE_MS).toISOString(),
    expires_at: new Date(now + IDEMPOTENCY_TTL_MS).toISOString(),
  });
  if (!claim.claimed) {
    // A replay answers only what the asking key could have asked for itself: another key of the tenant with a
    // narrower model scope gets the same 403 as without the header (and learns nothing about the stored request).
    checkReplayScope(gateway, exchange);
    const existing = claim.existing;
    if (existing.request_hash !== requestHash) {
      throw new ConflictError(
        'Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than the one used before.',
        'idempotency_error',
      );
    }
    if (existing.state === 'in_flight' || existing.status === null || existing.body === null) {
      throw new ConflictError('A request with this Idempotency-Key is still in progress. Retry after it completes.', 'idempotency_error');
    }
    exchange.res.writeHead(existing.status, { ...existing.headers, 'idempotent-replayed': 'true', 'content-length': existing.body.byteLength });
    exchange.res.end(existing.body);
    return;
  }

  const capture = captureResponse(exchange, gateway.bodyLimitBytes, async (response) => {
    if (response === null) await gateway.store.releaseIdempotencyKey(tenant, key);
    else await gateway.store.completeIdempotencyKey(tenant, key, response);
  });
  try {
    await handler();
  } finally {
    // The handler threw before ending the response, or the client went away: nothing was stored, let a retry run.
    if (!capture.settled) await capture.settle(null).catch(() => {});
  }
}

/** Maximum model names read from a replayed body's `model` and `models` (the schemas bound the list further). */
const MAX_SCOPED_MODEL_NAMES = 64;

/**
 * The model scope check routing makes, for a request about to be answered from the store. The body is parsed only
 * here, on the rare replay path; a body that is not a JSON object names no model (the first request would have been
 * refused then, so nothing is stored for it).
 */
function checkReplayScope(gateway: GatewayContext, exchange: Exchange): void {
  const principal = exchange.principal;
  if (principal === null || principal.key?.models === null || principal.key?.models === undefined) return;
  let body: unknown;
  try {
    body = JSON.parse(exchange.rawBody?.toString('utf8') ?? '');
  } catch {
    return;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const { model, models } = body as { model?: unknown; models?: unknown };
  const names = [model, ...(Array.isArray(models) ? models.slice(0, MAX_SCOPED_MODEL_NAMES) : [])].filter((name): name is string => typeof name === 'string');
  checkModelScope(gateway, principal, names);
}

interface CapturedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Copies what the handler writes, and holds back `res.end` until `store` has kept (a 2xx) or released (anything else)
 * the key. A body larger than `limitBytes` is not kept (released), so that a retry runs again.
 */
function captureResponse(exchange: Exchange, limitBytes: number, store: (response: CapturedResponse | null) => Promise<void>) {
  const res = exchange.res;
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  const state = {
    settled: false,
    settle: async (response: CapturedResponse | null): Promise<void> => {
      if (state.settled) return;
      state.settled = true;
      await store(response);
    },
  };
  const keep = (chunk: unknown, encoding?: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function' || tooLarge) return;
    const buffer =
      typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.from(chunk as Uint8Array);
    size += buffer.byteLength;
    if (size > limitBytes) tooLarge = true;
    else chunks.push(buffer);
  };
  // writeHead's own headers may bypass getHeaders() (Node writes them straight out when none were set before).
  let headArgument: OutgoingHttpHeaders = {};
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => typeof res;
  res.writeHead = ((statusCode: number, ...rest: unknown[]) => {
    const headers = rest.find((argument) => typeof argument === 'object' && argument !== null && !Array.isArray(argument));
    if (headers !== undefined) headArgument = headers as OutgoingHttpHeaders;
    return writeHead(statusCode, ...rest);
  }) as typeof res.writeHead;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk, rest[0]);
    return write(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    keep(chunk, rest[0]);
    const succeeded = res.statusCode >= 200 && res.statusCode < 300 && !tooLarge && !exchange.signal.aborted;
    const response = succeeded
      ? { status: res.statusCode, headers: replayedHeaders({ ...res.getHeaders(), ...lowerCaseNames(headArgument) }), body: Buffer.concat(chunks) }
      : null;
    state
      .settle(response)
      .catch(() => {
        // The key could not be stored: the response still goes out; a retry will run again (or see the claim expire).
      })
      .finally(() => end(chunk, ...rest));
    return res;
  }) as typeof res.end;
  return state;
}

function lowerCaseNames(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function replayedHeaders(headers: OutgoingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && REPLAYED_HEADERS.test(name)) kept[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return kept;
}
