// Runs a request over an ordered list of routes: per-attempt deadlines, failover on retryable failures,
// jittered backoff honouring retry-after between passes, circuit breakers, and no failover once a stream
// has delivered its first bytes (the stream then ends with an error the server turns into an error event).
import { Agent, type Dispatcher } from 'undici';
import type { Route } from '../catalog/index.ts';
import type { Authenticator, ProviderAdapter, UpstreamRequest } from '../providers/index.ts';
import {
  ClientClosedError,
  CrosswayError,
  InvalidRequestError,
  NoRouteAvailableError,
  UpstreamError,
  type AttemptFailure,
  type ChatCompletionRequest,
  type EmbeddingRequest,
  type Usage,
} from '../wire/index.ts';
import { callUpstream, classifyTransportError } from './call-upstream.ts';
import { CircuitBreakers } from './circuit-breakers.ts';

export interface ExecutorOptions {
  attemptTimeoutMs: number;
  streamIdleTimeoutMs: number;
  maxAttempts: number;
  /** Longest wait between passes over the routes; a longer retry-after ends the request instead. */
  maxRetryWaitMs?: number;
  circuit: { failureThreshold: number; cooldownMs: number };
  adapterFor(route: Route): ProviderAdapter;
  authenticatorFor(route: Route): Authenticator;
  /** Defaults to a keep-alive undici Agent (one pool per upstream origin). */
  dispatcher?: Dispatcher;
}

/** One try of one route, reported in headers, logs and errors. */
export interface Attempt extends AttemptFailure {
  durationMs: number;
}

export interface ExecuteOptions {
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/** Result of a request that succeeded on some route. */
export interface Executed<T> {
  route: Route;
  attempts: Attempt[];
  value: T;
  /** The upstream's request id, for support tickets with the cloud. */
  upstreamRequestId: string | null;
}

export interface ChatStream {
  /** OpenAI chat-completion SSE bytes; the first chunk has already arrived when this is returned. */
  body: AsyncIterable<Uint8Array>;
  /** Usage reported by the stream so far (final once the body is drained). */
  usage(): Usage | null;
}

/** Executes plans against the clouds. Long-lived: owns the upstream connection pools. */
export class Executor {
  readonly breakers: CircuitBreakers;
  readonly #options: ExecutorOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(options: ExecutorOptions) {
    this.#options = options;
    this.breakers = new CircuitBreakers(options.circuit);
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 256 });
  }

  /** A non-streaming chat completion. */
  chat(request: ChatCompletionRequest, routes: Route[], options: ExecuteOptions) {
    return this.#run(request.model, routes, options, async (route, attempt) => {
      const adapter = this.#options.adapterFor(route);
      const response = await this.#send(adapter.prepareChat(request, route), route, attempt);
      const body = await response.body.bytes();
      return { value: adapter.readChat(body, route), headers: response.headers };
    });
  }

  /** A streaming chat completion; resolves once the first bytes of the answer arrived. */
  chatStream(request: ChatCompletionRequest, routes: Route[], options: ExecuteOptions & { includeUsage: boolean }) {
    return this.#run(request.model, routes, options, async (route, attempt): Promise<AttemptResult<ChatStream>> => {
      const adapter = this.#options.adapterFor(route);
      const response = await this.#send(adapter.prepareChat(request, route), route, attempt);
      let usage: Usage | null = null;
      const translated = adapter.streamChat(response.body, route, {
        includeUsage: options.includeUsage,
        onUsage: (reported) => {
          usage = reported;
        },
      });
      const iterator = translated[Symbol.asyncIterator]();
      let first: IteratorResult<Uint8Array>;
      try {
        first = await iterator.next();
      } catch (error) {
        response.body.destroy();
        throw error;
      }
      attempt.streamStarted();
      const body = this.#continueStream(first, iterator, route, attempt, () => response.body.destroy());
      return { value: { body, usage: () => usage }, headers: response.headers, settledLater: true };
    });
  }

  /** Embeddings for one or many inputs. */
  embeddings(request: EmbeddingRequest, routes: Route[], options: ExecuteOptions) {
    return this.#run(request.model, routes, options, async (route, attempt) => {
      const adapter = this.#options.adapterFor(route);
      const response = await this.#send(adapter.prepareEmbeddings(request, route), route, attempt);
      const body = await response.body.bytes();
      return { value: adapter.readEmbeddings(body, route), headers: response.headers };
    });
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #send(prepared: UpstreamRequest, route: Route, attempt: AttemptControl): Promise<Dispatcher.ResponseData> {
    const authorized = await this.#options.authenticatorFor(route).authorize(prepared, attempt.signal);
    const response = await callUpstream(authorized, {
      dispatcher: this.#dispatcher,
      signal: attempt.signal,
      headersTimeoutMs: attempt.timeoutMs,
      bodyTimeoutMs: this.#options.streamIdleTimeoutMs,
    });
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    const body = await response.body.bytes();
    throw this.#options.adapterFor(route).readError(response.statusCode, response.headers, body, route);
  }

  async *#continueStream(
    first: IteratorResult<Uint8Array>,
    iterator: AsyncIterator<Uint8Array>,
    route: Route,
    attempt: AttemptControl,
    destroyUpstream: () => void,
  ): AsyncGenerator<Uint8Array> {
    let finished = false;
    try {
      if (!first.done) yield first.value;
      else {
        finished = true;
        attempt.settle(null);
        return;
      }
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        yield next.value;
      }
      finished = true;
      attempt.settle(null);
    } catch (error) {
      finished = true;
      const failure = attempt.classify(error);
      attempt.settle(failure);
      throw failure;
    } finally {
      if (!finished) {
        // The consumer stopped early (client disconnected): abort the upstream call right away.
        attempt.settle(new ClientClosedError());
      }
      destroyUpstream();
      await iterator.return?.().catch(() => undefined);
    }
  }

  async #run<T>(
    model: string,
    routes: Route[],
    options: ExecuteOptions,
    tryRoute: (route: Route, attempt: AttemptControl) => Promise<AttemptResult<T>>,
  ): Promise<Executed<T>> {
    const attempts: Attempt[] = [];
    const skipped = new Set<string>();
    // Routes another pass cannot help: they refused the request or are misconfigured.
    const settled = new Set<string>();
    const refusals: Array<{ route: string; error: InvalidRequestError }> = [];
    const maxAttempts = this.#options.maxAttempts;
    let retryAfterMs: number | null = null;
    for (let pass = 0; attempts.length < maxAttempts; pass += 1) {
      if (pass > 0) {
        const wait = backoffMs(pass, retryAfterMs);
        if (wait > (this.#options.maxRetryWaitMs ?? 2_000)) break;
        await sleep(wait, options.signal);
        retryAfterMs = null;
      }
      let triedThisPass = 0;
      for (const route of routes) {
        if (attempts.length >= maxAttempts) break;
        if (settled.has(route.id)) continue;
        if (options.signal.aborted) throw new ClientClosedError();
        if (!this.breakers.tryAcquire(route.id)) {
          skipped.add(route.id);
          continue;
        }
        triedThisPass += 1;
        const attempt = new AttemptControl(route, options.signal, route.timeout_ms ?? this.#options.attemptTimeoutMs, this.breakers);
        try {
          const result = await tryRoute(route, attempt);
          attempt.clearTimer();
          if (result.settledLater !== true) attempt.settle(null);
          attempts.push(attempt.report(200, 'ok', 'ok'));
          return { route, attempts, value: result.value, upstreamRequestId: upstreamRequestId(result.headers) };
        } catch (error) {
          if (error instanceof InvalidRequestError) {
            // The route's wire cannot carry this request (e.g. n > 1 on Bedrock Converse): another route may.
            attempt.abandon();
            settled.add(route.id);
            refusals.push({ route: route.id, error });
            continue;
          }
          const failure = attempt.classify(error);
          attempt.settle(failure);
          if (failure instanceof ClientClosedError) throw failure;
          const upstream = failure as UpstreamError;
          attempts.push(attempt.report(upstream.upstreamStatus, upstream.code, upstream.message));
          if (!shouldFailOver(upstream)) {
            upstream.attemptCount = attempts.length;
            throw upstream;
          }
          if (!isTransient(upstream)) settled.add(route.id);
          if (upstream.retryAfterMs !== null) retryAfterMs = Math.min(retryAfterMs ?? Infinity, upstream.retryAfterMs);
        }
      }
      if (triedThisPass === 0) break;
    }
    // Every route that could be asked refused the request itself: that is the client's 400, naming the route.
    const firstRefusal = refusals[0];
    if (firstRefusal !== undefined && attempts.length === 0) throw firstRefusal.error;
    const refused = refusals.map(({ route, error }) => ({ route, status: 400, code: error.code, message: error.message }));
    throw new NoRouteAvailableError(model, [...attempts, ...refused], [...skipped], retryAfterMs);
  }
}

/** Failures that may pass if the same route is asked again later. */
function isTransient(error: UpstreamError): boolean {
  return error.upstreamStatus === 408 || error.upstreamStatus === 429 || (error.upstreamStatus >= 500 && error.code !== 'route_misconfigured');
}


interface AttemptResult<T> {
  value: T;
  headers: Record<string, string | string[] | undefined>;
  /** The attempt's outcome is known only later (streams): the stream settles the circuit itself. */
  settledLater?: boolean;
}

/** State of one try: its abort signal and deadline, and reporting to the circuit breakers exactly once. */
class AttemptControl {
  readonly route: Route;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly #clientSignal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #breakers: CircuitBreakers;
  readonly #started = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  #settled = false;

  constructor(route: Route, clientSignal: AbortSignal, timeoutMs: number, breakers: CircuitBreakers) {
    this.route = route;
    this.timeoutMs = timeoutMs;
    this.#clientSignal = clientSignal;
    this.#breakers = breakers;
    this.signal = AbortSignal.any([clientSignal, this.#controller.signal]);
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort();
    }, timeoutMs);
  }

  /** The first bytes of a stream arrived: the deadline no longer applies (idle timeouts do). */
  streamStarted(): void {
    this.clearTimer();
  }

  clearTimer(): void {
    clearTimeout(this.#timer);
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

  /** Reports the outcome to the route's circuit once: null for success. */
  settle(failure: UpstreamError | ClientClosedError | null): void {
    if (this.#settled) return;
    this.#settled = true;
    this.clearTimer();
    if (failure === null) this.#breakers.recordSuccess(this.route.id);
    else if (failure instanceof ClientClosedError) this.#breakers.release(this.route.id);
    else if (countsAgainstHealth(failure)) this.#breakers.recordFailure(this.route.id);
    else this.#breakers.release(this.route.id);
    if (failure !== null) this.#controller.abort();
  }

  /** The attempt was given up before it said anything about the route. */
  abandon(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.clearTimer();
    this.#breakers.release(this.route.id);
    this.#controller.abort();
  }

  report(status: number, code: string, message: string): Attempt {
    return { route: this.route.id, status, code, message, durationMs: Math.round(performance.now() - this.#started) };
  }
}

/**
 * Whether the next route may succeed where this one failed: transport failures, timeouts, 408, 429, 5xx, and a
 * route's own misconfiguration as the cloud reports it (401/403/404: wrong key, no access, no such deployment).
 * A request the cloud found invalid (400, 413, 422, content filter) fails the same everywhere.
 */
function shouldFailOver(error: UpstreamError): boolean {
  return error.retryable || [401, 403, 404].includes(error.upstreamStatus);
}

/** Only failures that say something about the route's health move its circuit. */
function countsAgainstHealth(error: UpstreamError): boolean {
  return shouldFailOver(error);
}

/** Full-jitter exponential backoff, at least the cloud's retry-after. */
function backoffMs(pass: number, retryAfterMs: number | null): number {
  const exponential = Math.random() * Math.min(2_000, 100 * 2 ** pass);
  return Math.max(exponential, retryAfterMs ?? 0);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ClientClosedError());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ClientClosedError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function upstreamRequestId(headers: Record<string, string | string[] | undefined>): string | null {
  const value = headers['x-request-id'] ?? headers['apim-request-id'] ?? headers['x-amzn-requestid'];
  return typeof value === 'string' ? value : null;
}
