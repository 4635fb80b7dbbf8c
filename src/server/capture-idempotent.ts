// Idempotency-Key on POST /v1/* (Stripe's semantics, per tenant): the first request with a key runs and its successful
// response is stored; the same key with the same request within 24 h gets the stored response without a second
// upstream call; the same key with another request, or while the first still runs, is a 409.
// https://docs.stripe.com/api/idempotent_requests
import { createHash } from 'node:crypto';
import type { Principal } from '../calls/index.ts';
import { checkModelScope } from '../calls/index.ts';
import { ConflictError, InvalidRequestError } from '../wire/index.ts';
import type { Exchange, GatewayContext, HttpResult, Middleware, StreamResult, StreamWriter } from './gateway-types.ts';
import { readBody } from './read-body.ts';

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
 * Runs the rest of the pipeline under the request's Idempotency-Key, on routes that honour one. Only 2xx answers are
 * stored: a failed request (bad input, an upstream error, a client that went away) releases the key, so that a retry
 * runs again, as Stripe does for requests that fail validation or conflict. A stream is stored once it ended, before
 * the response is ended, so that a client that retries right after its answer arrived gets the replay, never a 409
 * "in progress".
 */
export const captureIdempotent: Middleware = async (gateway, exchange, next) => {
  const header = exchange.route.idempotent === true ? exchange.req.headers['idempotency-key'] : undefined;
  if (header === undefined) return next();
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY_SHAPE.test(key)) {
    throw new InvalidRequestError(
      `The Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters without spaces.`,
      null,
      'invalid_idempotency_key',
    );
  }
  const principal = exchange.principal;
  if (principal === null) return next();
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
    checkReplayScope(gateway, principal, exchange.rawBody);
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
    return { status: existing.status, headers: { ...existing.headers, 'idempotent-replayed': 'true' }, body: existing.body };
  }

  const keep = async (response: CapturedResponse | null): Promise<void> => {
    // The key could not be stored: the answer still goes out; a retry will run again (or see the claim expire).
    if (response === null) await gateway.store.releaseIdempotencyKey(tenant, key).catch(() => {});
    else await gateway.store.completeIdempotencyKey(tenant, key, response).catch(() => {});
  };
  let result: HttpResult;
  try {
    result = await next();
  } catch (error) {
    await keep(null);
    throw error;
  }
  if ('body' in result) {
    const body = typeof result.body === 'string' ? Buffer.from(result.body) : Buffer.from(result.body);
    const succeeded = result.status >= 200 && result.status < 300 && body.byteLength <= gateway.bodyLimitBytes && !exchange.signal.aborted;
    await keep(succeeded ? { status: result.status, headers: replayedHeaders({ 'content-type': 'application/json', ...result.headers }), body } : null);
    return result;
  }
  return { ...result, stream: (writer) => captureStream(exchange, gateway.bodyLimitBytes, result, writer, keep) };
};

/** Runs a streamed answer, copying what it writes (up to `limitBytes`), and keeps it once it completed. */
async function captureStream(
  exchange: Exchange,
  limitBytes: number,
  result: StreamResult,
  writer: StreamWriter,
  keep: (response: CapturedResponse | null) => Promise<void>,
): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  let headers: Record<string, string> = {};
  const capturing: StreamWriter = {
    head(extra) {
      headers = extra;
      writer.head(extra);
    },
    write(bytes) {
      size += typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
      if (size <= limitBytes) chunks.push(Buffer.from(bytes));
      return writer.write(bytes);
    },
  };
  try {
    await result.stream(capturing);
  } catch (error) {
    await keep(null);
    throw error;
  }
  const succeeded = size <= limitBytes && !exchange.signal.aborted;
  const stored = { 'content-type': 'text/event-stream; charset=utf-8', ...result.headers, ...headers };
  await keep(succeeded ? { status: 200, headers: replayedHeaders(stored), body: Buffer.concat(chunks) } : null);
}

/** Maximum model names read from a replayed body's `model` and `models` (the schemas bound the list further). */
const MAX_SCOPED_MODEL_NAMES = 64;

/**
 * The model scope check routing makes, for a request about to be answered from the store. The body is parsed only
 * here, on the rare replay path; a body that is not a JSON object names no model (the first request would have been
 * refused then, so nothing is stored for it).
 */
function checkReplayScope(gateway: GatewayContext, principal: Principal, rawBody: Buffer): void {
  if (principal.key?.models === null || principal.key?.models === undefined) return;
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
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

function replayedHeaders(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (REPLAYED_HEADERS.test(name)) kept[name] = value;
  }
  return kept;
}
