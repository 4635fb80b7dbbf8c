// One try of one route: its abort signal and deadline, its time to first byte, and the single report of its outcome
// to the route's health; plus the rules that say which failures fail over and which count against a route.
import type { Route } from '../catalog/index.ts';
import type { UpstreamRequest } from '../providers/index.ts';
import { ClientClosedError, CrosswayError, InternalError, InvalidRequestError, UpstreamError, type AttemptFailure } from '../wire/index.ts';
import { classifyTransportError } from './call-upstream.ts';
import { type AttemptObserver, describeAttemptEnd, type UpstreamTimeSink } from './attempt-observer.ts';
import type { Admission, RouteHealth } from './route-health.ts';
import { scrubberForAttempt, scrubberForRoute, type SecretScrubber } from './scrub-secrets.ts';

/** One try of one route, reported in headers, logs, errors and decision records. */
export interface Attempt extends AttemptFailure {
  /** From the start of the attempt until its outcome was known: the whole answer, a stream's first chunk, or the failure. */
  latencyMs: number;
  /** What the adapter changed to fit the request to the route's wire (UpstreamRequest `notes`); absent when nothing. */
  notes?: readonly string[];
}

/** An attempt as a decision record lists it. */
export interface DecisionAttempt {
  route: string;
  status: number;
  latency_ms: number;
  /** The failure's message; null when the route answered. */
  error: string | null;
}

/** The decision record's shape of an attempt. */
export function toDecisionAttempt(attempt: Attempt): DecisionAttempt {
  const ok = attempt.status >= 200 && attempt.status < 300;
  return { route: attempt.route, status: attempt.status, latency_ms: attempt.latencyMs, error: ok ? null : attempt.message };
}

export interface AttemptControlOptions {
  route: Route;
  clientSignal: AbortSignal;
  timeoutMs: number;
  /**
   * The timeout is the caller's deadline, shorter than the route's own: running into it says nothing about the route
   * (a client with a short timeout must not eject a healthy route), and the call ends as the caller's.
   */
  callerDeadline?: boolean;
  health: RouteHealth;
  /** How the route let this attempt in; a probe's outcome decides a half-open route. */
  admission: Admission;
  /** Told how the attempt ended (metrics). */
  observer?: AttemptObserver | undefined;
  /** The request's total of time spent waiting on upstreams, which this attempt adds to. */
  upstreamTime?: UpstreamTimeSink | undefined;
}

/** State of one try: its abort signal and deadline, and reporting to the route's health exactly once. */
export class AttemptControl {
  readonly route: Route;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly admission: Admission;
  readonly #clientSignal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #health: RouteHealth;
  readonly #started = performance.now();
  readonly #onSettled: Array<() => void> = [];
  /** Scrubs what the upstream answers: the route's configured secrets, then also what this attempt sent (see `sent`). */
  scrubber: SecretScrubber;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  readonly #callerDeadline: boolean;
  #settled = false;
  #failure: UpstreamError | ClientClosedError | null = null;
  #firstByteSeen = false;
  #notes: readonly string[] | undefined;
  readonly #observer: AttemptObserver | undefined;
  readonly #upstreamTime: UpstreamTimeSink | undefined;
  /** Until when this attempt's time was added to `#upstreamTime`. */
  #timedUntil = this.#started;
  /** A stream's first chunk arrived: no failover from here on. */
  #streaming = false;

  constructor(options: AttemptControlOptions) {
    this.route = options.route;
    this.timeoutMs = options.timeoutMs;
    this.#callerDeadline = options.callerDeadline === true;
    this.admission = options.admission;
    this.#clientSignal = options.clientSignal;
    this.#health = options.health;
    this.#observer = options.observer;
    this.#upstreamTime = options.upstreamTime;
    this.scrubber = scrubberForRoute(options.route);
    // One listener instead of AbortSignal.any (a composite signal per attempt costs more and lives longer).
    this.signal = this.#controller.signal;
    if (options.clientSignal.aborted) this.#controller.abort();
    else options.clientSignal.addEventListener('abort', this.#onClientAbort, { once: true });
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort();
    }, options.timeoutMs);
  }

  /** The answer's first byte arrived (non-stream: the 2xx headers; stream: the first output chunk): a latency sample. */
  firstByte(): void {
    if (this.#firstByteSeen) return;
    this.#firstByteSeen = true;
    this.#health.recordLatency(this.route.id, performance.now() - this.#started);
  }

  /** The first bytes of a stream arrived: the deadline no longer applies (idle timeouts do). */
  streamStarted(): void {
    this.firstByte();
    this.clearTimer();
    this.#streaming = true;
    // Counted now, so that a stream's head can tell the time to its first chunk; the rest when the stream ends.
    this.#addUpstreamTime();
  }

  clearTimer(): void {
    clearTimeout(this.#timer);
  }

  /**
   * The authorized request is about to be sent: its credential headers join the secrets scrubbed from the answer, and
   * the adapter's notes on the prepared request (`notes`, which authorizing need not keep) go into the report.
   */
  sent(request: UpstreamRequest, notes: readonly string[] | undefined = request.notes): void {
    this.scrubber = scrubberForAttempt(this.route, request);
    if (notes !== undefined && notes.length > 0) this.#notes = notes;
  }

  /** The client went away (not the attempt's own deadline). */
  get clientClosed(): boolean {
    return this.#clientSignal.aborted;
  }

  /** Runs `callback` once the outcome was reported (at once if it already was). */
  onSettled(callback: () => void): void {
    if (this.#settled) callback();
    else this.#onSettled.push(callback);
  }

  /**
   * Maps whatever was thrown once the request was sent to an UpstreamError scrubbed of secrets (see scrub-secrets.ts),
   * or ClientClosedError when the client went away.
   */
  classify(error: unknown): UpstreamError | ClientClosedError {
    this.clearTimer();
    if (error instanceof ClientClosedError) return error;
    if (this.#clientSignal.aborted && !this.#timedOut) return new ClientClosedError();
    // The caller's own deadline passed: the caller has given up, as if it had gone away.
    if (this.#timedOut && this.#callerDeadline) return new ClientClosedError();
    if (error instanceof CrosswayError && !(error instanceof UpstreamError)) {
      // Reading the route's answer failed inside Crossway: the answer was not usable, so it counts against the route.
      return this.scrubber.error(new UpstreamError(error.message, { route: this.route.id, status: 502, code: error.code, retryable: true, cause: error }));
    }
    return this.scrubber.error(classifyTransportError(error, this.route.id, this.timeoutMs, this.#timedOut));
  }

  /** What the settled attempt failed with (null: it succeeded, was abandoned, or has not settled). */
  get failure(): UpstreamError | ClientClosedError | null {
    return this.#failure;
  }

  /** Reports the outcome to the route's health once: null for success. */
  settle(failure: UpstreamError | ClientClosedError | null): void {
    if (this.#settled) return;
    this.#failure = failure;
    this.clearTimer();
    if (failure === null) this.#health.recordSuccess(this.route.id, this.admission);
    else if (!(failure instanceof ClientClosedError) && countsAgainstHealth(failure)) this.#health.recordFailure(this.route.id, this.admission);
    else this.#health.release(this.route.id, this.admission);
    if (failure !== null) this.#controller.abort();
    this.#observer?.attemptEnded(this.route, describeAttemptEnd(failure), failure instanceof UpstreamError && !this.#streaming && failsOver(failure));
    this.#finish();
  }

  /** The attempt was given up before it said anything about the route. */
  abandon(): void {
    if (this.#settled) return;
    this.clearTimer();
    this.#health.release(this.route.id, this.admission);
    this.#controller.abort();
    this.#finish();
  }

  report(status: number, code: string, message: string): Attempt {
    const attempt: Attempt = { route: this.route.id, status, code, message, latencyMs: Math.round(performance.now() - this.#started) };
    if (this.#notes !== undefined) attempt.notes = this.#notes;
    return attempt;
  }

  readonly #onClientAbort = (): void => this.#controller.abort();

  #addUpstreamTime(): void {
    if (this.#upstreamTime === undefined) return;
    const now = performance.now();
    this.#upstreamTime.upstreamMs = (this.#upstreamTime.upstreamMs ?? 0) + (now - this.#timedUntil);
    this.#timedUntil = now;
  }

  #finish(): void {
    this.#addUpstreamTime();
    this.#settled = true;
    this.#clientSignal.removeEventListener('abort', this.#onClientAbort);
    for (const callback of this.#onSettled.splice(0)) callback();
  }
}

/**
 * An attempt that failed before anything was sent (translating the request, serialising its body, getting
 * credentials): Crossway's or the request's problem, never the upstream's, so it never touches the route's health.
 * Only the executor sees it; `failure` is what the client gets when no route answers.
 */
export class NotSentError extends Error {
  override name = 'NotSentError';
  /** What the client is told: 400 when the request is at fault, else 500. */
  readonly failure: CrosswayError;
  /** Every route would fail the same way (e.g. a body too deeply nested to serialise): stop at once. */
  readonly everyRoute: boolean;
  constructor(failure: CrosswayError, everyRoute: boolean) {
    super(failure.message, { cause: failure });
    this.failure = failure;
    this.everyRoute = everyRoute;
  }
}

/**
 * How one attempt ended, read in one place (readAttemptFailure) from what it returned or threw; the executor's loop
 * switches on it.
 */
export type AttemptOutcome<T> =
  | { kind: 'answered'; value: T }
  /** Nothing reached the upstream (see classifyNotSent): the route's health is untouched and it is not asked again. */
  | { kind: 'not-sent'; failure: CrosswayError; everyRoute: boolean }
  /** The route's wire cannot carry this request (e.g. n > 1 on Bedrock Converse): another route may. */
  | { kind: 'refused'; error: InvalidRequestError }
  /** The client went away: the request ends. */
  | { kind: 'client-closed'; error: ClientClosedError }
  /**
   * The upstream failed; `failOver`: another route may succeed (a retryable failure, a misconfigured route, or a carry
   * limit: UpstreamError `carryLimit`); `transient`: this route may, if asked again later.
   */
  | { kind: 'failed'; error: UpstreamError; failOver: boolean; transient: boolean };

/** The outcome of an attempt that threw `error`; an upstream failure is classified (and scrubbed) by the attempt. */
export function readAttemptFailure(error: unknown, attempt: AttemptControl): Exclude<AttemptOutcome<never>, { kind: 'answered' }> {
  if (error instanceof NotSentError) return { kind: 'not-sent', failure: error.failure, everyRoute: error.everyRoute };
  if (error instanceof InvalidRequestError) return { kind: 'refused', error };
  const failure = attempt.classify(error);
  if (failure instanceof ClientClosedError) return { kind: 'client-closed', error: failure };
  // A carry limit (the cloud says the route's wire cannot carry this request) fails over without touching health.
  return { kind: 'failed', error: failure, failOver: failsOver(failure), transient: isTransient(failure) };
}

/** Whether the executor moves on from this failure (before a stream started): shouldFailOver, or a carry limit. */
function failsOver(failure: UpstreamError): boolean {
  return shouldFailOver(failure) || failure.carryLimit;
}

/** Engine limits hit by serialising or walking a hostile request (JSON.stringify of a 10,000-deep array, say). */
const RESOURCE_LIMIT = /Maximum call stack size exceeded|Invalid string length|Invalid array length/;

/**
 * What an error thrown before the request was sent means. ClientClosedError and InvalidRequestError (the route's wire
 * cannot carry the request: another route may) are returned as they are; an engine limit is the request's fault on
 * every route (400); a route's own configuration or credential failure is a 500 naming the route; anything else is an
 * internal error (500, the cause logged, not shown).
 */
export function classifyNotSent(error: unknown, route: Route): NotSentError | ClientClosedError | InvalidRequestError {
  if (error instanceof ClientClosedError || error instanceof InvalidRequestError || error instanceof NotSentError) return error;
  if (error instanceof RangeError && RESOURCE_LIMIT.test(error.message)) {
    return new NotSentError(new InvalidRequestError('Request too deeply nested or too large to send upstream.', null, 'request_too_complex', error), true);
  }
  if (error instanceof CrosswayError) {
    // The message names the route and the setting, never a secret (see routeConfigurationError and the authenticators).
    const message = error instanceof UpstreamError ? error.message : `${error.message} (route ${route.id})`;
    return new NotSentError(new CrosswayError(message, { code: error.code, status: 500, type: 'server_error', cause: error }), false);
  }
  return new NotSentError(new InternalError(error), false);
}

/**
 * Whether the next route may succeed where this one failed: transport failures, timeouts, 408, 429, 5xx, and a
 * route's own misconfiguration as the cloud reports it (401/403/404: wrong key, no access, no such deployment).
 * A request the cloud found invalid (400, 413, 422, content filter) fails the same everywhere.
 */
export function shouldFailOver(error: UpstreamError): boolean {
  return error.retryable || [401, 403, 404].includes(error.upstreamStatus);
}

/**
 * Only failures that say something about the route move its health: the same set as failover, so a misconfigured
 * route (401/403/404) is ejected like a failing one, while the client's own invalid request never is.
 */
export function countsAgainstHealth(error: UpstreamError): boolean {
  return shouldFailOver(error);
}

/** Codes of 5xx failures that asking the same route again will not change (its configuration, a redirect). */
const LASTING_FAILURES = new Set(['route_misconfigured', 'upstream_unexpected_status']);

/** Failures that may pass if the same route is asked again later. */
export function isTransient(error: UpstreamError): boolean {
  return error.upstreamStatus === 408 || error.upstreamStatus === 429 || (error.upstreamStatus >= 500 && !LASTING_FAILURES.has(error.code));
}
