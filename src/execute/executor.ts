// Runs a request over an ordered list of routes (the plan): per-attempt deadlines, failover on retryable failures,
// jittered backoff honouring retry-after between passes, outlier ejection with half-open probes, a retry budget, and
// no failover once a stream has delivered its first bytes (the stream then ends with an error the server turns into
// an error event). Responses turns go natively to routes that serve POST /v1/responses and as chat completions to the
// others, attempt by attempt, so that one request can fail over between the two wires.
import { Agent, type Dispatcher } from 'undici';
import { withTraceHeaders } from '../observe/index.ts';
import type { Route } from '../catalog/index.ts';
import type { Authenticator, ChatStreamEvent, ChatStreamOptions, NativeResponsesStreamEvent, ProviderAdapter, UpstreamRequest } from '../providers/index.ts';
import {
  ClientClosedError,
  NoRouteAvailableError,
  UpstreamError,
  type ChatCompletionRequest,
  type CrosswayError,
  type EmbeddingRequest,
  InvalidRequestError,
} from '../wire/index.ts';
import type { AttemptObserver, UpstreamTimeSink } from './attempt-observer.ts';
import { AttemptControl, classifyNotSent, readAttemptFailure, type Attempt, type AttemptOutcome } from './attempt-control.ts';
import { callUpstream, callUpstreamBuffered, type BufferedResponse, type CallOptions } from './call-upstream.ts';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.ts';
import { RouteHealth, type OutlierOptions, type RouteHealthSnapshot, type RouteMembership } from './route-health.ts';
import type { RouteHealthPeers } from './route-health-peers.ts';
import { endAttemptTrace, traceAttempt } from './trace-attempt.ts';
import { servesResponsesNatively, type ResponsesAnswer, type ResponsesBodies } from './serves-responses-natively.ts';

export interface ExecutorOptions {
  attemptTimeoutMs: number;
  streamIdleTimeoutMs: number;
  maxAttempts: number;
  /** Longest wait between passes over the routes; a longer retry-after ends the request instead. */
  maxRetryWaitMs?: number;
  /**
   * Outlier ejection; Envoy's defaults (5 failures, 30 s x ejections, at most 300 s, panic below 50 % healthy) for what
   * is not given, and at most 50 % of a model's routes ejected at once (see DEFAULT_OUTLIER_OPTIONS).
   */
  outlier?: Partial<OutlierOptions>;
  /** Every route of the catalog with its model, for the ejection cap and the panic threshold; routes seen in plans are added. */
  routes?: Iterable<RouteMembership>;
  /** Weight of the newest time-to-first-byte sample (default 0.3). */
  latencyEwmaAlpha?: number;
  /** Concurrent retries <= max(percent % of active requests, minConcurrency); default 20 %, 3. */
  retryBudget?: RetryBudgetOptions;
  /** Clock of the route health (ms since the epoch); injected by tests. */
  now?: () => number;
  /** The other replicas' route health (ejections shared, one half-open probe among them, leased for an attempt timeout). */
  healthPeers?: RouteHealthPeers;
  adapterFor(route: Route): ProviderAdapter;
  authenticatorFor(route: Route): Authenticator;
  /** Defaults to a keep-alive undici Agent (one pool per upstream origin). */
  dispatcher?: Dispatcher;
  /** Told how every attempt ended (the gateway's metrics). */
  observer?: AttemptObserver;
}

export interface ExecuteOptions {
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Called as each attempt ends (failed, refused or answered), also when the request fails in the end. */
  onAttempt?: (attempt: Attempt) => void;
  /**
   * performance.now() after which the caller no longer waits (its own timeout): no attempt or backoff starts past it,
   * and no attempt waits for its first byte beyond it. Null: only the routes' own timeouts apply.
   */
  deadlineAt?: number | null;
  /** Where the request adds up the time its attempts wait on upstreams (Server-Timing, the request log). */
  upstreamTime?: UpstreamTimeSink | undefined;
}

/** Result of a request that succeeded on some route. */
export interface Executed<T> {
  route: Route;
  attempts: Attempt[];
  value: T;
  /** The upstream's request id, for support tickets with the cloud. */
  upstreamRequestId: string | null;
}

/** A streamed chat completion; its first event has already arrived when this is returned. */
export interface ChatStream {
  /** OpenAI chat-completion SSE bytes with the usage as its own event (see ChatStreamEvent for the order). */
  events: AsyncIterable<ChatStreamEvent>;
}

/**
 * A streamed Responses turn: `native`, the cloud's own Responses events (parsed, ending with `response.completed` or
 * `response.incomplete`); `chat`, chat-completion chunks (parsed, with the usage event) to translate.
 */
export type ResponsesStream = { kind: 'native'; events: AsyncIterable<NativeResponsesStreamEvent> } | { kind: 'chat'; events: AsyncIterable<ChatStreamEvent> };

export interface ResponsesExecuteOptions extends ExecuteOptions {
  /** The model the client asked for, named when no route can serve it. */
  model: string;
}

/** Executes plans against the clouds. Long-lived: owns the upstream connection pools. */
export class Executor {
  /** Route health: what the planner reads (epoch, state, latency) and what GET /admin/routes shows. */
  readonly health: RouteHealth;
  readonly #budget: RetryBudget;
  readonly #options: ExecutorOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(options: ExecutorOptions) {
    this.#options = options;
    this.health = new RouteHealth({
      outlier: options.outlier,
      routes: options.routes,
      latencyEwmaAlpha: options.latencyEwmaAlpha,
      now: options.now,
      peers: options.healthPeers,
      probeLeaseMs: options.attemptTimeoutMs,
    });
    this.#budget = new RetryBudget(options.retryBudget);
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 256 });
  }

  /**
   * Takes a reloaded catalog's routes as the route set of the ejection cap and panic threshold. Calls in flight keep
   * the routes they were planned with (routes are passed per call); each route id keeps its health.
   */
  replaceRoutes(routes: Iterable<RouteMembership>): void {
    this.health.replaceRoutes(routes);
  }

  /** Per route: circuit state, ejections, error rate, latency; for the given route ids, or every route used so far. */
  snapshot(routeIds?: Iterable<string>): RouteHealthSnapshot[] {
    return this.health.snapshot(routeIds);
  }

  /** Requests under way, retries in flight, and how many retries the budget allows right now. */
  load(): { active: number; retries: number; allowedRetries: number } {
    return { active: this.#budget.active, retries: this.#budget.retries, allowedRetries: this.#budget.allowed };
  }

  /** A non-streaming chat completion. */
  chat(request: ChatCompletionRequest, routes: Route[], options: ExecuteOptions) {
    return this.#run(request.model, routes, options, (route, attempt) => this.#attemptChat(request, route, attempt));
  }

  /** A streaming chat completion; resolves once the first bytes of the answer arrived. */
  chatStream(request: ChatCompletionRequest, routes: Route[], options: ExecuteOptions & ChatStreamOptions) {
    const streamOptions: ChatStreamOptions = { includeUsage: options.includeUsage, parseChunks: options.parseChunks === true };
    if (options.answerModel !== undefined) streamOptions.answerModel = options.answerModel;
    return this.#run(request.model, routes, options, (route, attempt) => this.#attemptChatStream(request, route, attempt, streamOptions));
  }

  /**
   * A non-streaming Responses turn: natively where servesResponsesNatively says so and `bodies(route).native` is not
   * null, else as a chat completion (`stream: false` either way). Same failover, deadlines and health as chat.
   */
  responses(bodies: ResponsesBodies, routes: Route[], options: ResponsesExecuteOptions) {
    return this.#run(options.model, routes, options, async (route, attempt): Promise<AttemptResult<ResponsesAnswer>> => {
      const adapter = this.#options.adapterFor(route);
      const { native, chat } = beforeSend(route, () => bodies(route));
      const wire = native === null ? null : servesResponsesNatively(route, adapter);
      if (native !== null && wire !== null) {
        const response = await this.#sendBuffered(() => wire.prepare({ ...native, stream: false }, route), route, attempt);
        return { value: { kind: 'native', ...wire.read(response.body, route) }, headers: response.headers };
      }
      const result = await this.#attemptChat({ ...chat, stream: false }, route, attempt);
      return { ...result, value: { kind: 'chat', ...result.value } };
    });
  }

  /**
   * A streaming Responses turn, chosen per attempt as `responses` does; resolves once the first event arrived. Chat
   * attempts stream with `include_usage` and every chunk parsed, for the translation to Responses events.
   */
  responsesStream(bodies: ResponsesBodies, routes: Route[], options: ResponsesExecuteOptions) {
    return this.#run(options.model, routes, options, async (route, attempt): Promise<AttemptResult<ResponsesStream>> => {
      const adapter = this.#options.adapterFor(route);
      const { native, chat } = beforeSend(route, () => bodies(route));
      const wire = native === null ? null : servesResponsesNatively(route, adapter);
      if (native !== null && wire !== null) {
        const prepare = () => wire.prepare({ ...native, stream: true }, route);
        const result = await this.#attemptStream(prepare, route, attempt, (body) => wire.stream(body, route));
        return { ...result, value: { kind: 'native', events: result.value } };
      }
      const result = await this.#attemptChatStream({ ...chat, stream: true }, route, attempt, { includeUsage: true, parseChunks: true });
      return { ...result, value: { kind: 'chat', events: result.value.events } };
    });
  }

  async #attemptChat(request: ChatCompletionRequest, route: Route, attempt: AttemptControl) {
    const adapter = this.#options.adapterFor(route);
    const response = await this.#sendBuffered(() => adapter.prepareChat(request, route), route, attempt);
    return { value: adapter.readChat(response.body, route), headers: response.headers };
  }

  async #attemptChatStream(
    request: ChatCompletionRequest,
    route: Route,
    attempt: AttemptControl,
    streamOptions: ChatStreamOptions,
  ): Promise<AttemptResult<ChatStream>> {
    const adapter = this.#options.adapterFor(route);
    const prepare = () => adapter.prepareChat(request, route);
    const result = await this.#attemptStream(prepare, route, attempt, (body) => adapter.streamChat(body, route, streamOptions));
    return { ...result, value: { events: result.value } };
  }

  /** Sends a streamed call and waits for its first event; `decode` reads the upstream body. */
  async #attemptStream<T>(
    prepare: () => UpstreamRequest,
    route: Route,
    attempt: AttemptControl,
    decode: (body: AsyncIterable<Uint8Array>) => AsyncIterable<T>,
  ): Promise<AttemptResult<AsyncIterable<T>>> {
    const response = await this.#send(prepare, route, attempt);
    // The adapter stops reading at the stream's end marker; the body must then be drained, not destroyed, so that
    // the keep-alive connection goes back to the pool (destroying it also costs an AbortError per stream).
    const upstreamBody = response.body.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
    // Scrubbed before the adapter reads it, so that translated events, passed-through bytes and in-stream errors are.
    const iterator = decode(attempt.scrubber.stream(upstreamBody))[Symbol.asyncIterator]();
    let first: IteratorResult<T>;
    try {
      first = await iterator.next();
    } catch (error) {
      response.body.destroy();
      throw error;
    }
    attempt.streamStarted();
    const events = this.#continueStream(first, iterator, attempt, (completed) => {
      if (completed) response.body.dump({ limit: 64 * 1024 }).catch(() => response.body.destroy());
      else response.body.destroy();
    });
    return { value: events, headers: response.headers, settledLater: true };
  }

  /** Embeddings for one or many inputs. */
  embeddings(request: EmbeddingRequest, routes: Route[], options: ExecuteOptions) {
    return this.#run(request.model, routes, options, async (route, attempt) => {
      const adapter = this.#options.adapterFor(route);
      const response = await this.#sendBuffered(() => adapter.prepareEmbeddings(request, route), route, attempt);
      return { value: adapter.readEmbeddings(response.body, route), headers: response.headers };
    });
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /**
   * Everything before the request goes out: the adapter's translation (`prepare`) and the credentials. What fails
   * here is Crossway's, the request's or the credentials' problem, never the upstream's: it is thrown as NotSentError
   * (see classifyNotSent), and the attempt's scrubber learns the credentials the request carries.
   */
  async #prepare(prepare: () => UpstreamRequest, route: Route, attempt: AttemptControl): Promise<UpstreamRequest> {
    const prepared = beforeSend(route, prepare);
    let authorized: UpstreamRequest;
    try {
      authorized = await this.#options.authenticatorFor(route).authorize(prepared, attempt.signal);
    } catch (error) {
      if (attempt.clientClosed) throw new ClientClosedError();
      throw classifyNotSent(error, route);
    }
    attempt.sent(authorized, prepared.notes);
    // The attempt's span context goes upstream as `traceparent` (tracing on only); added after signing, unsigned.
    const headers = withTraceHeaders(authorized.url, authorized.headers);
    return headers === authorized.headers ? authorized : { ...authorized, headers };
  }

  async #send(prepare: () => UpstreamRequest, route: Route, attempt: AttemptControl): Promise<Dispatcher.ResponseData> {
    const response = await callUpstream(await this.#prepare(prepare, route, attempt), this.#callOptions(attempt));
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    if (response.statusCode < 400) {
      response.body.destroy();
      throw unexpectedStatus(response.statusCode, route);
    }
    const body = attempt.scrubber.bytes(await response.body.bytes());
    throw this.#options.adapterFor(route).readError(response.statusCode, response.headers, body, route);
  }

  /** A non-streaming call, read whole; a 2xx answer's headers are the attempt's first byte. */
  async #sendBuffered(prepare: () => UpstreamRequest, route: Route, attempt: AttemptControl): Promise<BufferedResponse> {
    const response = await callUpstreamBuffered(await this.#prepare(prepare, route, attempt), {
      ...this.#callOptions(attempt),
      onHeaders: (statusCode) => {
        if (statusCode >= 200 && statusCode < 300) attempt.firstByte();
      },
    });
    // The one place a buffered answer enters Crossway: passed-through bytes, translated answers and errors all read it.
    const body = attempt.scrubber.bytes(response.body);
    if (response.statusCode >= 200 && response.statusCode < 300) return body === response.body ? response : { ...response, body };
    if (response.statusCode < 400) throw unexpectedStatus(response.statusCode, route);
    throw this.#options.adapterFor(route).readError(response.statusCode, response.headers, body, route);
  }

  /** The attempt's abort signal and deadline, and the stream idle timeout, on the shared dispatcher. */
  #callOptions(attempt: AttemptControl): CallOptions {
    return { dispatcher: this.#dispatcher, signal: attempt.signal, headersTimeoutMs: attempt.timeoutMs, bodyTimeoutMs: this.#options.streamIdleTimeoutMs };
  }

  async *#continueStream<T>(
    first: IteratorResult<T>,
    iterator: AsyncIterator<T>,
    attempt: AttemptControl,
    releaseUpstream: (completed: boolean) => void,
  ): AsyncGenerator<T> {
    let finished = false;
    let completed = false;
    try {
      if (!first.done) yield first.value;
      else {
        finished = completed = true;
        attempt.settle(null);
        return;
      }
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        yield next.value;
      }
      finished = completed = true;
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
      await iterator.return?.().catch(() => undefined);
      releaseUpstream(completed);
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
    // Routes that cannot carry the request: refused by the adapter before sending, or by the cloud (a carry limit).
    const refusals: Array<{ attempt: Attempt; error: InvalidRequestError | UpstreamError }> = [];
    // Routes whose attempt failed before anything was sent (see classifyNotSent): not attempts of the upstream.
    const notSent: Array<{ attempt: Attempt; error: CrosswayError }> = [];
    const maxAttempts = this.#options.maxAttempts;
    const deadlineAt = options.deadlineAt ?? null;
    const budget = this.#budget;
    let retryAfterMs: number | null = null;
    let budgetExhausted: string | null = null;
    // A stream stays an active request until it ends, which is after this method returned.
    let endsLater = false;
    const record = (attempt: Attempt): void => {
      attempts.push(attempt);
      options.onAttempt?.(attempt);
    };
    this.health.addRoutes(routes);
    budget.requestStarted();
    try {
      passes: for (let pass = 0; attempts.length < maxAttempts; pass += 1) {
        if (pass > 0) {
          const wait = backoffMs(pass, retryAfterMs);
          if (wait > (this.#options.maxRetryWaitMs ?? 2_000)) break;
          if (deadlineAt !== null && performance.now() + wait >= deadlineAt) break;
          const sleptFrom = performance.now();
          await sleep(wait, options.signal);
          // The backoff a failed upstream (or its retry-after) imposed counts as upstream time, not gateway overhead.
          if (options.upstreamTime !== undefined) {
            options.upstreamTime.upstreamMs = (options.upstreamTime.upstreamMs ?? 0) + (performance.now() - sleptFrom);
          }
          retryAfterMs = null;
        }
        let triedThisPass = 0;
        for (const route of routes) {
          if (attempts.length >= maxAttempts) break;
          if (settled.has(route.id)) continue;
          if (options.signal.aborted) throw new ClientClosedError();
          const remainingMs = deadlineAt === null ? Infinity : deadlineAt - performance.now();
          // The caller's deadline passed between attempts: it has given up, as if it had gone away.
          if (remainingMs <= 0) throw new ClientClosedError();
          const admission = this.health.admit(route.id);
          if (admission === null) {
            skipped.add(route.id);
            continue;
          }
          // Every upstream call after the request's first is a retry, whether of the same route or the next one.
          const retry = attempts.length > 0;
          if (retry && !budget.tryStartRetry()) {
            this.health.release(route.id, admission);
            budgetExhausted = `Retry budget exhausted (${budget.retries} retries in flight, at most ${budget.allowed} for ${budget.active} active requests)`;
            break passes;
          }
          triedThisPass += 1;
          const routeTimeoutMs = route.timeout_ms ?? this.#options.attemptTimeoutMs;
          const callerDeadline = remainingMs < routeTimeoutMs;
          const timeoutMs = callerDeadline ? Math.ceil(remainingMs) : routeTimeoutMs;
          const observers = { observer: this.#options.observer, upstreamTime: options.upstreamTime };
          const attempt = new AttemptControl({ route, clientSignal: options.signal, timeoutMs, callerDeadline, health: this.health, admission, ...observers });
          const span = traceAttempt(route, attempts.length + 1);
          try {
            const outcome = span === null ? await runAttempt(tryRoute, route, attempt) : await span.run(() => runAttempt(tryRoute, route, attempt));
            if (span !== null) endAttemptTrace(span, outcome, attempt);
            switch (outcome.kind) {
              case 'answered': {
                const result = outcome.value;
                attempt.clearTimer();
                if (result.settledLater === true) {
                  endsLater = true;
                  attempt.onSettled(() => budget.requestEnded());
                } else attempt.settle(null);
                record(attempt.report(200, 'ok', 'ok'));
                return { route, attempts, value: result.value, upstreamRequestId: upstreamRequestId(result.headers, attempt) };
              }
              case 'not-sent': {
                // Not an attempt of the upstream: reported to the caller, not counted among the attempts.
                attempt.abandon();
                settled.add(route.id);
                const failed = attempt.report(outcome.failure.status, outcome.failure.code, outcome.failure.message);
                options.onAttempt?.(failed);
                if (outcome.everyRoute) throw outcome.failure;
                notSent.push({ attempt: failed, error: outcome.failure });
                break;
              }
              case 'refused': {
                attempt.abandon();
                settled.add(route.id);
                const refused = attempt.report(400, outcome.error.code, outcome.error.message);
                options.onAttempt?.(refused);
                refusals.push({ attempt: refused, error: outcome.error });
                break;
              }
              case 'client-closed':
                attempt.settle(outcome.error);
                throw outcome.error;
              case 'failed': {
                const upstream = outcome.error;
                attempt.settle(upstream);
                const failed = attempt.report(upstream.upstreamStatus, upstream.code, upstream.message);
                record(failed);
                if (upstream.carryLimit) refusals.push({ attempt: failed, error: upstream });
                if (!outcome.failOver) {
                  upstream.attemptCount = attempts.length;
                  throw upstream;
                }
                if (!outcome.transient) settled.add(route.id);
                if (upstream.retryAfterMs !== null) retryAfterMs = Math.min(retryAfterMs ?? Infinity, upstream.retryAfterMs);
                break;
              }
            }
          } finally {
            if (retry) budget.retryEnded();
          }
        }
        if (triedThisPass === 0) break;
      }
    } finally {
      if (!endsLater) budget.requestEnded();
    }
    // Every route that could be asked refused the request, before sending it or as a carry limit: that is the client's
    // 400, with each route's reason.
    if (refusals.length > 0 && attempts.every((attempt) => refusals.some((refusal) => refusal.attempt === attempt))) {
      throw refusedByEveryRoute(model, refusals, attempts.length);
    }
    // No upstream was asked and Crossway could not send the request: that is a 500, not an upstream's 502 or 503.
    const firstNotSent = notSent[0];
    if (firstNotSent !== undefined && attempts.length === 0) throw firstNotSent.error;
    const others = [...refusals, ...notSent].map(({ attempt }) => attempt);
    const failure = new NoRouteAvailableError(model, [...attempts, ...others], [...skipped], retryAfterMs);
    if (budgetExhausted !== null) {
      const asked = new Set([...attempts.map((attempt) => attempt.route), ...skipped, ...settled]);
      const untried = routes.filter((route) => !asked.has(route.id)).map((route) => route.id);
      // NoRouteAvailableError words the attempts; the reason the executor stopped early is added to its message.
      failure.message += ` ${budgetExhausted}${untried.length > 0 ? `; not tried: ${untried.join(', ')}` : ''}.`;
    }
    throw failure;
  }
}

/**
 * The 400 of a request that every route asked refused: the one refusal as it is when there was one (the attempts
 * counted on an upstream's), else a 400 naming every route's reason, with the first refusal's code and parameter.
 */
function refusedByEveryRoute(
  model: string,
  refusals: ReadonlyArray<{ attempt: Attempt; error: InvalidRequestError | UpstreamError }>,
  attemptCount: number,
): CrosswayError {
  const first = refusals[0]?.error;
  if (refusals.length === 1 && first !== undefined) {
    if (first instanceof UpstreamError) first.attemptCount = attemptCount;
    return first;
  }
  // Each message names its route already (adapters' refusals and UpstreamError both end with `(route <id>)`).
  const reasons = refusals.map(({ error }) => error.message).join('; ');
  return new InvalidRequestError(`No route of model '${model}' can carry this request: ${reasons}`, first?.param ?? null, first?.code, first);
}

/** Runs one attempt and reads how it ended: its answer, or what its failure means (readAttemptFailure). */
async function runAttempt<T>(
  tryRoute: (route: Route, attempt: AttemptControl) => Promise<AttemptResult<T>>,
  route: Route,
  attempt: AttemptControl,
): Promise<AttemptOutcome<AttemptResult<T>>> {
  try {
    return { kind: 'answered', value: await tryRoute(route, attempt) };
  } catch (error) {
    return readAttemptFailure(error, attempt);
  }
}

interface AttemptResult<T> {
  value: T;
  headers: Record<string, string | string[] | undefined>;
  /** The attempt's outcome is known only later (streams): the stream settles the route's health itself. */
  settledLater?: boolean;
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

/** Longest upstream request id passed on; a longer one is cut (it is only a support-ticket reference). */
const MAX_REQUEST_ID_LENGTH = 256;

/** The upstream's request id, scrubbed (an upstream may reflect anything there) and at most 256 characters. */
function upstreamRequestId(headers: Record<string, string | string[] | undefined>, attempt: AttemptControl): string | null {
  const value = headers['x-request-id'] ?? headers['apim-request-id'] ?? headers['x-amzn-requestid'];
  return typeof value === 'string' ? attempt.scrubber.text(value).slice(0, MAX_REQUEST_ID_LENGTH) : null;
}

/** Runs the part of an attempt that translates the request; what it throws is never the upstream's failure. */
function beforeSend<T>(route: Route, build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw classifyNotSent(error, route);
  }
}

/**
 * A final status that is neither an answer nor an error (a redirect, a 1xx left over): the route failed. Redirects are
 * never followed nor forwarded (the Location could point anywhere); the next route is tried.
 */
function unexpectedStatus(status: number, route: Route): UpstreamError {
  return new UpstreamError(`Upstream answered HTTP ${status}, which is neither an answer nor an error`, {
    route: route.id,
    status: 502,
    code: 'upstream_unexpected_status',
    type: 'server_error',
    retryable: true,
  });
}
