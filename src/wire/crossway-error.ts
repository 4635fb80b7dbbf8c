// The one error tree of Crossway: every failure is a value with a stable code, an HTTP status and a retry decision.
// OpenAI's error JSON is built from these in exactly one place, at the HTTP edge (server/send-error.ts).

/** OpenAI's error `type` values that clients branch on. */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  /** OpenAI's type for its own request- and token-rate limits (`code: rate_limit_exceeded`). */
  | 'requests'
  | 'tokens'
  | 'insufficient_quota'
  | 'server_error'
  | 'api_error';

export interface CrosswayErrorOptions {
  /** Stable machine-readable code, sent as OpenAI's `error.code`. */
  code: string;
  status: number;
  type: OpenAIErrorType;
  param?: string | null;
  retryable?: boolean;
  cause?: unknown;
}

/** Base of every error Crossway raises on purpose. */
export class CrosswayError extends Error {
  override name = 'CrosswayError';
  readonly code: string;
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly retryable: boolean;
  /**
   * The routing decision (`x-crossway-decision`) that explains this failure, once the call it ended got as far as
   * routing; set by the core, sent by the front door beside the error.
   */
  decisionId: string | null = null;
  /** Upstream attempts the call made before it ended with this error (`x-crossway-attempts`); null when none was made. */
  attemptCount: number | null = null;

  constructor(message: string, options: CrosswayErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.status = options.status;
    this.type = options.type;
    this.param = options.param ?? null;
    this.retryable = options.retryable ?? false;
  }
}

/** The request is malformed or asks for something that cannot be done (400). */
export class InvalidRequestError extends CrosswayError {
  override name = 'InvalidRequestError';
  constructor(message: string, param: string | null = null, code = 'invalid_request', cause?: unknown) {
    super(message, { code, status: 400, type: 'invalid_request_error', param, cause });
  }
}

/** No route of the model satisfies the routing policy (400 `no_route_matches_policy`): policies fail closed. */
export class PolicyUnsatisfiableError extends InvalidRequestError {
  override name = 'PolicyUnsatisfiableError';
  /** Every route with every reason it was excluded for (`code`, `detail`), as the planner gave them. */
  readonly rejected: { route: string; reasons: { code: string; detail: string }[] }[];
  constructor(message: string, rejected: { route: string; reasons: { code: string; detail: string }[] }[]) {
    super(message, null, 'no_route_matches_policy');
    this.rejected = rejected;
  }
}

/** Missing, malformed or unknown API key (401). */
export class AuthenticationError extends CrosswayError {
  override name = 'AuthenticationError';
  constructor(message: string, code = 'invalid_api_key') {
    super(message, { code, status: 401, type: 'authentication_error' });
  }
}

/** The key is valid but not allowed to do this (403). */
export class PermissionDeniedError extends CrosswayError {
  override name = 'PermissionDeniedError';
  constructor(message: string, code = 'permission_denied', param: string | null = null) {
    super(message, { code, status: 403, type: 'permission_error', param });
  }
}

/** Unknown model, route, path or stored object (404). */
export class NotFoundError extends CrosswayError {
  override name = 'NotFoundError';
  constructor(message: string, code = 'not_found', param: string | null = null) {
    super(message, { code, status: 404, type: 'invalid_request_error', param });
  }
}

/** Wrong HTTP method on a known path (405). */
export class MethodNotAllowedError extends CrosswayError {
  override name = 'MethodNotAllowedError';
  constructor(message: string) {
    super(message, { code: 'method_not_allowed', status: 405, type: 'invalid_request_error' });
  }
}

/** The request body exceeds the configured limit (413). */
export class PayloadTooLargeError extends CrosswayError {
  override name = 'PayloadTooLargeError';
  constructor(limitBytes: number) {
    super(`Request body exceeds the limit of ${limitBytes} bytes.`, {
      code: 'request_too_large',
      status: 413,
      type: 'invalid_request_error',
    });
  }
}

export interface UpstreamErrorOptions {
  /** Route id that produced the error; always named in the message. */
  route: string;
  status: number;
  /** The cloud's own error code (e.g. `content_filter`, `ThrottlingException`), if it sent one. */
  code?: string | null;
  type?: OpenAIErrorType;
  param?: string | null;
  retryable: boolean;
  /** Milliseconds the cloud asked us to wait before retrying (from retry-after / retry-after-ms). */
  retryAfterMs?: number | null;
  /** Extra fields of the cloud's error body worth keeping for the client (e.g. Azure's `innererror`). */
  details?: Record<string, unknown>;
  /**
   * The cloud refused the request because the route's wire cannot carry it (a parameter outside the wire's range, a
   * shape the API requires), not because it is invalid for the model: another route may serve it. Set by adapters.
   */
  carryLimit?: boolean;
  cause?: unknown;
}

/** A cloud answered with an error, or the connection to it failed. */
export class UpstreamError extends CrosswayError {
  override name = 'UpstreamError';
  readonly route: string;
  readonly upstreamStatus: number;
  readonly retryAfterMs: number | null;
  readonly details: Record<string, unknown> | undefined;
  /** See UpstreamErrorOptions `carryLimit`. */
  readonly carryLimit: boolean;
  /** How many tries the request took when this error ended it (set by the executor). */
  override attemptCount = 1;

  constructor(message: string, options: UpstreamErrorOptions) {
    super(`${message} (route ${options.route})`, {
      code: options.code ?? 'upstream_error',
      status: options.status,
      type: options.type ?? typeForStatus(options.status),
      param: options.param ?? null,
      retryable: options.retryable,
      cause: options.cause,
    });
    this.route = options.route;
    this.upstreamStatus = options.status;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.details = options.details;
    this.carryLimit = options.carryLimit ?? false;
  }
}

/** The per-attempt deadline passed before the cloud answered. */
export class UpstreamTimeoutError extends UpstreamError {
  override name = 'UpstreamTimeoutError';
  constructor(route: string, timeoutMs: number, cause?: unknown) {
    super(`Upstream did not answer within ${timeoutMs} ms`, {
      route,
      status: 504,
      code: 'upstream_timeout',
      type: 'server_error',
      retryable: true,
      cause,
    });
  }
}

/** The connection to the cloud failed or broke. */
export class UpstreamConnectionError extends UpstreamError {
  override name = 'UpstreamConnectionError';
  constructor(route: string, reason: string, cause?: unknown) {
    super(`Upstream connection failed: ${reason}`, {
      route,
      status: 502,
      code: 'upstream_connection_error',
      type: 'server_error',
      retryable: true,
      cause,
    });
  }
}

/** One failed try of one route, as reported to the client when every route failed. */
export interface AttemptFailure {
  route: string;
  status: number;
  code: string;
  message: string;
}

/** Every route of the plan failed or none could be tried (502 when routes failed, 503 when none was available,
 * 429 when every route was rate-limited, so that clients back off and retry as they do with OpenAI). */
export class NoRouteAvailableError extends CrosswayError {
  override name = 'NoRouteAvailableError';
  readonly attempts: AttemptFailure[];
  readonly retryAfterMs: number | null;

  constructor(model: string, attempts: AttemptFailure[], skipped: string[] = [], retryAfterMs: number | null = null) {
    const tried = attempts.map((a) => `${a.route}: ${a.status} ${a.message}`).join('; ');
    const skippedText = skipped.length > 0 ? ` Skipped (circuit open): ${skipped.join(', ')}.` : '';
    const allRateLimited = attempts.length > 0 && attempts.every((a) => a.status === 429);
    const message =
      attempts.length > 0
        ? `All routes for model '${model}' failed. ${tried}.${skippedText}`
        : `No route for model '${model}' is available right now.${skippedText}`;
    super(message, {
      code: allRateLimited ? 'rate_limit_exceeded' : attempts.length > 0 ? 'all_routes_failed' : 'no_route_available',
      status: allRateLimited ? 429 : attempts.length > 0 ? 502 : 503,
      type: allRateLimited ? 'rate_limit_error' : 'server_error',
    });
    this.attempts = attempts;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A key's or tenant's requests- or tokens-per-minute limit is reached (429 `rate_limit_exceeded`, OpenAI's wording). */
export class RateLimitError extends CrosswayError {
  override name = 'RateLimitError';
  /** Milliseconds until the request would fit (sent as `retry-after` / `retry-after-ms`). */
  readonly retryAfterMs: number;
  /** `x-ratelimit-*` headers describing the limit that refused the request. */
  readonly headers: Record<string, string>;
  constructor(message: string, kind: 'requests' | 'tokens', retryAfterMs: number, headers: Record<string, string> = {}) {
    super(message, { code: 'rate_limit_exceeded', status: 429, type: kind, retryable: true });
    this.retryAfterMs = retryAfterMs;
    this.headers = headers;
  }
}

/** A key's or tenant's budget cannot cover the request's worst-case cost (429 `insufficient_quota`, as OpenAI answers). */
export class InsufficientQuotaError extends CrosswayError {
  override name = 'InsufficientQuotaError';
  constructor(message: string) {
    super(message, { code: 'insufficient_quota', status: 429, type: 'insufficient_quota' });
  }
}

/** The request conflicts with the state it acts on (409): an Idempotency-Key reused or in use, an id already taken. */
export class ConflictError extends CrosswayError {
  override name = 'ConflictError';
  constructor(message: string, code = 'conflict', param: string | null = null) {
    super(message, { code, status: 409, type: 'invalid_request_error', param });
  }
}

/** The client went away before the answer was complete (nginx's 499); nothing is sent back. */
export class ClientClosedError extends CrosswayError {
  override name = 'ClientClosedError';
  constructor() {
    super('The client closed the request.', { code: 'client_closed_request', status: 499, type: 'invalid_request_error' });
  }
}

/** An unexpected failure inside Crossway (500); its message never carries internals to the client. */
export class InternalError extends CrosswayError {
  override name = 'InternalError';
  constructor(cause: unknown) {
    super('The gateway hit an internal error.', { code: 'internal_error', status: 500, type: 'server_error', cause });
  }
}

/** OpenAI's error type for an HTTP status. */
export function typeForStatus(status: number): OpenAIErrorType {
  switch (status) {
    case 400:
    case 404:
    case 405:
    case 409:
    case 413:
    case 415:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 429:
      return 'rate_limit_error';
    default:
      return status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

/** Any thrown value as a CrosswayError; unknown values become an InternalError. */
export function toCrosswayError(error: unknown): CrosswayError {
  return error instanceof CrosswayError ? error : new InternalError(error);
}
