// One try of one route: its abort signal and deadline, its time to first byte, and the single report of its outcome
// to the route's health; plus the rules that say which failures fail over and which count against a route.
import type { Route } from '../catalog/index.ts';
import { ClientClosedError, CrosswayError, UpstreamError, type AttemptFailure } from '../wire/index.ts';
import { classifyTransportError } from './call-upstream.ts';
import type { Admission, RouteHealth } from './route-health.ts';

/** One try of one route, reported in headers, logs, errors and decision records. */
export interface Attempt extends AttemptFailure {
  /** From the start of the attempt until its outcome was known: the whole answer, a stream's first chunk, or the failure. */
  latencyMs: number;
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
  health: RouteHealth;
  /** How the route let this attempt in; a probe's outcome decides a half-open route. */
  admission: Admission;
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
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  #settled = false;
  #firstByteSeen = false;

  constructor(options: AttemptControlOptions) {
    this.route = options.route;
    this.timeoutMs = options.timeoutMs;
    this.admission = options.admission;
    this.#clientSignal = options.clientSignal;
    this.#health = options.health;
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
  }

  clearTimer(): void {
    clearTimeout(this.#timer);
  }

  /** Runs `callback` once the outcome was reported (at once if it already was). */
  onSettled(callback: () => void): void {
    if (this.#settled) callback();
    else this.#onSettled.push(callback);
  }

  /** Maps whatever was thrown to an UpstreamError, or ClientClosedError when the client went away. */
  classify(error: unknown): UpstreamError | ClientClosedError {
    this.clearTimer();
    if (error instanceof ClientClosedError) return error;
    if (this.#clientSignal.aborted && !this.#timedOut) return new ClientClosedError();
    if (error instanceof CrosswayError && !(error instanceof UpstreamError)) {
      // A translation or auth failure inside Crossway for this route: report it against the route.
      return new UpstreamError(error.message, { route: this.route.id, status: 502, code: error.code, retryable: true, cause: error });
    }
    return classifyTransportError(error, this.route.id, this.timeoutMs, this.#timedOut);
  }

  /** Reports the outcome to the route's health once: null for success. */
  settle(failure: UpstreamError | ClientClosedError | null): void {
    if (this.#settled) return;
    this.clearTimer();
    if (failure === null) this.#health.recordSuccess(this.route.id, this.admission);
    else if (!(failure instanceof ClientClosedError) && countsAgainstHealth(failure)) this.#health.recordFailure(this.route.id, this.admission);
    else this.#health.release(this.route.id, this.admission);
    if (failure !== null) this.#controller.abort();
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
    return { route: this.route.id, status, code, message, latencyMs: Math.round(performance.now() - this.#started) };
  }

  readonly #onClientAbort = (): void => this.#controller.abort();

  #finish(): void {
    this.#settled = true;
    this.#clientSignal.removeEventListener('abort', this.#onClientAbort);
    for (const callback of this.#onSettled.splice(0)) callback();
  }
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

/** Failures that may pass if the same route is asked again later. */
export function isTransient(error: UpstreamError): boolean {
  return error.upstreamStatus === 408 || error.upstreamStatus === 429 || (error.upstreamStatus >= 500 && error.code !== 'route_misconfigured');
}
