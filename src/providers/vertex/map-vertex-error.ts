// Maps Vertex AI error replies (Google API errors, bare or wrapped in a JSON array, and the OpenAI-shaped errors the
// OpenAI-compatible endpoint relays from model servers) to UpstreamError, keeping Google's message and status.
// Sources: vertex-api.ts (error shapes); Google's canonical codes and their HTTP statuses (google/rpc/code.proto,
// https://cloud.google.com/apis/design/errors#handling_errors), with its advice on which to retry; Vertex AI
// "Error code 429" (cloud.google.com/vertex-ai/generative-ai/docs/error-code-429).
import type { Route } from '../../catalog/index.ts';
import { typeForStatus, UpstreamError } from '../../wire/index.ts';
import { isRetryableOpenAIStatus, mapOpenAIStreamError, readOpenAIErrorValue, toOpenAIUpstreamError, type UpstreamErrorFields } from '../openai/index.ts';
import { parseRetryAfterMs } from '../parse-retry-after.ts';
import type { UpstreamHeaders } from '../provider-adapter.ts';
import { decodeBody, summarizeErrorBody } from '../summarize-error-body.ts';
import { googleErrorEnvelopeSchema, googleRetryInfoSchema, type GoogleErrorObject } from './vertex-api.ts';

/** What a Google canonical status stands for: its HTTP status and whether another attempt can succeed. */
export interface GoogleStatusRule {
  status: number;
  retryable: boolean;
}

/**
 * Google's canonical statuses:
 *
 * | status | HTTP | retryable | why |
 * |---|---|---|---|
 * | RESOURCE_EXHAUSTED | 429 | yes | quota or shared capacity; another route (or a later try) has room |
 * | UNAVAILABLE | 503 | yes | transient, Google's advice is to retry |
 * | INTERNAL, UNKNOWN, DATA_LOSS | 500 | yes | server fault |
 * | DEADLINE_EXCEEDED | 504 | yes | timed out at Google |
 * | ABORTED | 409 | yes | a concurrency conflict; chat holds no state to conflict with |
 * | CANCELLED | 499 | yes | cancelled on Google's side, not by this client's request content |
 * | INVALID_ARGUMENT, OUT_OF_RANGE | 400 | no | the request itself is wrong; every route would refuse it |
 * | FAILED_PRECONDITION | 400 | yes | the project is not in a state to serve (1): the route's setup, not the request, so another route can serve it |
 * | UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND | 401, 403, 404 | yes | the route is misconfigured (2): fail over, and let the circuit take the route out |
 * | UNIMPLEMENTED | 501 | yes | this endpoint or model cannot do the operation; another route may |
 * | ALREADY_EXISTS | 409 | no | never transient |
 *
 * (1) Billing off, model not enabled, terms not accepted.
 * (2) Credentials, IAM role, project, location or model id.
 */
export function mapGoogleStatus(status: string): GoogleStatusRule | null {
  switch (status) {
    case 'RESOURCE_EXHAUSTED':
      return { status: 429, retryable: true };
    case 'UNAVAILABLE':
      return { status: 503, retryable: true };
    case 'INTERNAL':
    case 'UNKNOWN':
    case 'DATA_LOSS':
      return { status: 500, retryable: true };
    case 'DEADLINE_EXCEEDED':
      return { status: 504, retryable: true };
    case 'ABORTED':
      return { status: 409, retryable: true };
    case 'CANCELLED':
      return { status: 499, retryable: true };
    case 'INVALID_ARGUMENT':
    case 'OUT_OF_RANGE':
      return { status: 400, retryable: false };
    case 'FAILED_PRECONDITION':
      return { status: 400, retryable: true };
    case 'UNAUTHENTICATED':
      return { status: 401, retryable: true };
    case 'PERMISSION_DENIED':
      return { status: 403, retryable: true };
    case 'NOT_FOUND':
      return { status: 404, retryable: true };
    case 'UNIMPLEMENTED':
      return { status: 501, retryable: true };
    case 'ALREADY_EXISTS':
      return { status: 409, retryable: false };
    default:
      return null;
  }
}

/** Maps a non-2xx Vertex AI reply to an UpstreamError with the HTTP status it came with. */
export function mapVertexError(status: number, headers: UpstreamHeaders, body: Uint8Array, route: Route): UpstreamError {
  const text = decodeBody(body);
  const value = unwrapArray(parseJson(text));
  const google = googleErrorEnvelopeSchema.safeParse(value);
  if (google.success) return googleError(google.data.error, status, parseRetryAfterMs(headers), route);
  return toOpenAIUpstreamError(readOpenAIErrorValue(value) ?? unreadable(text, status), status, route, { retryAfterMs: parseRetryAfterMs(headers) });
}

/**
 * Maps an error event inside a Vertex stream. OpenAI-shaped events follow the OpenAI rules; a Google-shaped event is
 * not an OpenAI error shape (its `status` is a name), so the stream reader hands it over as text, read here again.
 */
export function mapVertexStreamError(fields: UpstreamErrorFields, route: Route): UpstreamError {
  // The event's error object, when it parsed, or its raw text: either may be Google's shape (status as a name).
  const candidate = fields.error !== null ? { error: fields.error } : unwrapArray(parseJson(fields.message));
  const google = googleErrorEnvelopeSchema.safeParse(candidate);
  if (google.success && typeof google.data.error.status === 'string') return googleError(google.data.error, null, null, route);
  return mapOpenAIStreamError(fields, route);
}

/** A Google error: the HTTP status when there is one (else the one its status names), Google's retry rule. */
function googleError(error: GoogleErrorObject, httpStatus: number | null, retryAfterMs: number | null, route: Route): UpstreamError {
  const rule = mapGoogleStatus(error.status);
  const status = httpStatus ?? rule?.status ?? (isHttpErrorStatus(error.code) ? error.code : 500);
  return new UpstreamError(error.message !== undefined && error.message !== '' ? error.message : error.status, {
    route: route.id,
    status,
    code: error.status,
    type: typeForStatus(status),
    retryable: rule?.retryable ?? isRetryableOpenAIStatus(status),
    retryAfterMs: retryAfterMs ?? readRetryDelayMs(error.details),
    details: { status: error.status, ...(error.details !== undefined && error.details.length > 0 && { details: error.details }) },
  });
}

/** `google.rpc.RetryInfo.retryDelay` ("30s", "0.5s") in milliseconds, when the details carry one. */
function readRetryDelayMs(details: readonly unknown[] | undefined): number | null {
  for (const detail of details ?? []) {
    const info = googleRetryInfoSchema.safeParse(detail);
    const seconds = info.success ? /^(\d+(?:\.\d+)?)s$/.exec(info.data.retryDelay.trim())?.[1] : undefined;
    if (seconds !== undefined) return Math.ceil(Number(seconds) * 1000);
  }
  return null;
}

function isHttpErrorStatus(code: number | undefined): code is number {
  return code !== undefined && code >= 400 && code < 600;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Vertex sometimes wraps the error object in a one-element JSON array; the first element is the error. */
function unwrapArray(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function unreadable(text: string, status: number): UpstreamErrorFields {
  return { message: summarizeErrorBody(text, status), code: null, type: null, param: null, status: null, error: null };
}
