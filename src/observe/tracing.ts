// OpenTelemetry for the gateway: a tracer and a meter owned by one gateway (never registered as the global providers,
// so that several gateways in one process, as in tests, each export their own spans), the scope a request's spans
// live in, and the GenAI semantic conventions' spans and metrics. Off unless an OTLP endpoint is configured: then no
// SDK is loaded, `openGatewayTracing` answers null, and every hook in the call path is one null or counter check.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  type Attributes,
  type Context,
  createContextKey,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { GenAiInstruments, genAiProviderName, type TokenCounts, toInputMessages, toOutputMessages, readAnswerFacts, readStreamFacts } from './tracing-genai.ts';
import type { TracingParts } from './tracing-sdk.ts';
import { MAX_LINKS, type TracingSettings } from './tracing-settings.ts';

export type { SpanContext } from '@opentelemetry/api';

/** The context key of a request's or background call's `TraceScope`. */
const SCOPE_KEY = createContextKey('crossway.tracing');

/**
 * What a scope's context carries besides its active span: the gateway it belongs to and the request's SERVER span
 * (null for a background call), in one value, so that a request's scope costs one context copy, not two.
 */
interface TraceScope {
  readonly tracing: GatewayTracing;
  readonly serverSpan: Span | null;
}

/** One context manager for every gateway of the process: each scope's context names the gateway it belongs to. */
const contextManager = new AsyncLocalStorageContextManager();
/** Gateways with tracing on in this process; while zero, no hook reads the async context at all. */
let liveTracings = 0;
const propagator = new W3CTraceContextPropagator();

/** The request headers as node:http delivers them. */
type IncomingHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** One gateway's tracer and meter, and the spans of its requests, model calls and ledger batches. */
export class GatewayTracing {
  readonly tracer: Tracer;
  readonly settings: TracingSettings;
  readonly instruments: GenAiInstruments | null;
  readonly #shutdown: () => Promise<void>;
  #closed = false;

  constructor(parts: TracingParts, settings: TracingSettings) {
    this.tracer = parts.tracer;
    this.settings = settings;
    this.instruments = parts.meter === null ? null : new GenAiInstruments(parts.meter);
    this.#shutdown = parts.shutdown;
    if (liveTracings === 0) contextManager.enable();
    liveTracings += 1;
  }

  /**
   * Runs `answer` inside a SERVER span continuing the client's `traceparent`/`tracestate`; the span ends with the
   * status `status()` reads once `answer` settled (a stream's, after its last byte), or as `client_closed` when no
   * answer was sent (null). Only the path (never the query) and the method are recorded: nothing of the headers.
   */
  async traceRequest(method: string, url: string, headers: IncomingHeaders, answer: () => Promise<void>, status: () => number | null): Promise<void> {
    const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    const path = pathOf(url);
    const span = this.tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path, 'url.scheme': 'http' } },
      parent,
    );
    const scope: TraceScope = { tracing: this, serverSpan: span };
    try {
      await contextManager.with(trace.setSpan(parent.setValue(SCOPE_KEY, scope), span), answer);
    } finally {
      const code = status();
      if (code === null) span.setAttribute('error.type', 'client_closed');
      else if (code < 500) span.setAttribute('http.response.status_code', code);
      else span.setAttributes({ 'http.response.status_code': code, 'error.type': String(code) });
      if (code === null || code >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  }

  /**
   * Starts the inference span of one model call (`chat {model}`), a child of the request's span when there is one
   * (a background turn's or an agent step's call starts a trace of its own).
   */
  startModelCall(operation: 'chat' | 'embeddings', requestModel: string): ModelCallTrace {
    return new ModelCallTrace(this, operation, requestModel, activeContextOf(this));
  }

  /**
   * A span for one batch of the ledger's group commit: a trace of its own (a batch serves many requests), linked to
   * the span of each call it commits.
   */
  startLedgerCommit(entries: number, links: readonly SpanContext[]): Span {
    return this.tracer.startSpan(
      'crossway.ledger.commit',
      {
        kind: SpanKind.INTERNAL,
        attributes: { 'crossway.ledger.batch_size': entries },
        // The span keeps at most MAX_LINKS (its limit): the first calls of a large batch.
        links: links.slice(0, MAX_LINKS).map((context): Link => ({ context })),
      },
      ROOT_CONTEXT,
    );
  }

  /** Flushes what is buffered and stops the exporters; later spans are dropped. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    liveTracings -= 1;
    if (liveTracings === 0) contextManager.disable();
    await this.#shutdown();
  }
}

/** The span context of the active span when `tracing` is this scope's gateway (links of ledger batches). */
export function activeSpanContext(tracing: GatewayTracing | null | undefined): SpanContext | null {
  if (tracing === null || tracing === undefined || liveTracings === 0) return null;
  const context = contextManager.active();
  if (scopeOf(context)?.tracing !== tracing) return null;
  return trace.getSpanContext(context) ?? null;
}

/** Names the request's SERVER span after the route table's entry it matched (`POST /v1/chat/completions`). */
export function nameServerSpan(method: string, route: string): void {
  if (liveTracings === 0) return;
  const span = scopeOf(contextManager.active())?.serverSpan;
  if (span === null || span === undefined) return;
  span.setAttribute('http.route', route);
  span.updateName(`${method} ${route}`);
}

/** What a CLIENT span of an upstream attempt says about the route it tries. */
export interface UpstreamAttemptFacts {
  route: string;
  provider: string;
  region: string | undefined;
  /** 1 for the call's first upstream request, 2 for the next (a retry or a failover), and so on. */
  number: number;
}

/** The CLIENT span of one upstream attempt; `run` makes it the active span, so that its `traceparent` goes upstream. */
export interface UpstreamAttemptTrace {
  run<T>(attempt: () => Promise<T>): Promise<T>;
  /** Ends the span: the upstream's status when one came, and the failure's code when the attempt failed. */
  end(status: number | null, errorType: string | null): void;
}

/** Starts the CLIENT span of an upstream attempt inside the active model call; null when tracing is off. */
export function startUpstreamAttempt(facts: UpstreamAttemptFacts): UpstreamAttemptTrace | null {
  if (liveTracings === 0) return null;
  const parent = contextManager.active();
  const scope = scopeOf(parent);
  if (scope === undefined) return null;
  const attributes: Attributes = {
    'http.request.method': 'POST',
    'crossway.route': facts.route,
    'crossway.attempt': facts.number,
    'gen_ai.provider.name': genAiProviderName(facts.provider),
  };
  if (facts.region !== undefined) attributes['cloud.region'] = facts.region;
  if (facts.number > 1) attributes['http.request.resend_count'] = facts.number - 1;
  const span = scope.tracing.tracer.startSpan('POST', { kind: SpanKind.CLIENT, attributes }, parent);
  const context = trace.setSpan(parent, span);
  let ended = false;
  return {
    run: (attempt) => contextManager.with(context, attempt),
    end(status, errorType) {
      if (ended) return;
      ended = true;
      if (errorType !== null) {
        span.setAttributes(status === null ? { 'error.type': errorType } : { 'http.response.status_code': status, 'error.type': errorType });
        span.setStatus({ code: SpanStatusCode.ERROR });
      } else if (status !== null) span.setAttribute('http.response.status_code', status);
      span.end();
    },
  };
}

/**
 * The headers of an upstream request with the active CLIENT span's `traceparent` (and `tracestate`) added, and the
 * span told the server's address; the same object when tracing is off. Added after signing: no signature covers them.
 */
export function withTraceHeaders(url: string, headers: Record<string, string>): Record<string, string> {
  if (liveTracings === 0) return headers;
  const context = contextManager.active();
  const span = trace.getSpan(context);
  if (scopeOf(context) === undefined || span === undefined) return headers;
  try {
    const parsed = new URL(url);
    span.setAttributes({
      'server.address': parsed.hostname,
      'server.port': Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80)),
    });
  } catch {
    // The adapters build valid URLs; an invalid one fails on sending, not here.
  }
  const carrier = { ...headers };
  propagator.inject(context, carrier, defaultTextMapSetter);
  return carrier;
}

/** What the call path knows of the route that answered. */
export interface RoutedCall {
  provider: string;
  route: string;
  region: string | undefined;
  /** The model the answer names (the catalog's). */
  responseModel: string;
  /** The answer streams: the time until now is its time to first token. */
  streamed: boolean;
}

/** What sets one measurement's attributes apart from the call's others. */
type MeasurementKind = { 'gen_ai.token.type': 'input' | 'output' } | { 'error.type': string };

/**
 * The attributes of a call's GenAI metrics, a new object literal each (`kind` names the token type or the error): the
 * SDK keeps the first object of each set it sees, so none may change once recorded. Literals cost less than spreading
 * one object into another, and less than sharing objects looked up by a key built from the values (measured).
 */
function callMetricAttributes(
  operation: string,
  requestModel: string,
  provider: string | undefined,
  responseModel: string | undefined,
  kind?: MeasurementKind,
): Attributes {
  const attributes: Attributes =
    provider === undefined || responseModel === undefined
      ? { 'gen_ai.operation.name': operation, 'gen_ai.request.model': requestModel }
      : { 'gen_ai.operation.name': operation, 'gen_ai.request.model': requestModel, 'gen_ai.provider.name': provider, 'gen_ai.response.model': responseModel };
  return kind === undefined ? attributes : Object.assign(attributes, kind);
}

/**
 * The inference span of one model call, and the GenAI metrics recorded when it ends. What the call learns on its way
 * (route, answer, usage) is gathered in one object and given to the span once, when it ends.
 */
export class ModelCallTrace {
  readonly #tracing: GatewayTracing;
  readonly #span: Span;
  readonly #context: Context;
  readonly #started = performance.now();
  readonly #operation: 'chat' | 'embeddings';
  readonly #requestModel: string;
  /** The span's attributes learnt after it started, set when it ends. */
  readonly #learnt: Attributes = {};
  #provider: string | undefined;
  #responseModel: string | undefined;
  #tokens: TokenCounts | null = null;
  #answered = false;
  #ended = false;

  constructor(tracing: GatewayTracing, operation: 'chat' | 'embeddings', requestModel: string, parent: Context) {
    this.#tracing = tracing;
    this.#operation = operation;
    this.#requestModel = requestModel;
    // CLIENT, as the conventions say of an inference span (the model runs elsewhere); each upstream attempt is a CLIENT
    // span under it, as an instrumented SDK's call is over its instrumented HTTP client.
    this.#span = tracing.tracer.startSpan(
      `${operation} ${requestModel}`,
      { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': operation, 'gen_ai.request.model': requestModel } },
      parent,
    );
    // A request's scope is the call's; a background call (no request) gets a scope of its own.
    const scoped = scopeOf(parent)?.tracing === tracing ? parent : parent.setValue(SCOPE_KEY, { tracing, serverSpan: null } satisfies TraceScope);
    this.#context = trace.setSpan(scoped, this.#span);
  }

  /** Runs the call with this span active; ends the span with the error `run` throws, or as a success. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = await contextManager.with(this.#context, call);
      // A Responses turn answers with its Response object: its id is the one the client sees.
      this.answered(result, true);
      this.end(null);
      return result;
    } catch (error) {
      this.end(errorTypeOf(error));
      throw error;
    }
  }

  /** The routing decision's id (`x-crossway-decision`). */
  decided(decisionId: string): void {
    this.#learnt['crossway.decision_id'] = decisionId;
  }

  /**
   * Runs the planner inside an INTERNAL `crossway.plan` span, which tells how many routes the plan kept and rejected.
   * A plan from the cache costs the span alone: the counts are the plan's own, read without a callback.
   */
  plan<T extends { kept: readonly unknown[]; rejected: readonly unknown[] }>(model: string, planRoutes: () => T): T {
    // The model: a call with fallback models plans each in turn under one inference span.
    const span = this.#tracing.tracer.startSpan('crossway.plan', { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.request.model': model } }, this.#context);
    try {
      const plan = planRoutes();
      span.setAttributes({ 'crossway.plan.kept': plan.kept.length, 'crossway.plan.rejected': plan.rejected.length });
      return plan;
    } catch (error) {
      span.setAttribute('error.type', errorTypeOf(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }

  /** A route answered: its provider, route and region, the answer's model, and (streams) the time to first token. */
  routed(call: RoutedCall): void {
    const provider = genAiProviderName(call.provider);
    this.#provider = provider;
    this.#responseModel = call.responseModel;
    const learnt = this.#learnt;
    learnt['gen_ai.provider.name'] = provider;
    learnt['gen_ai.response.model'] = call.responseModel;
    learnt['crossway.route'] = call.route;
    if (call.region !== undefined) learnt['cloud.region'] = call.region;
    const instruments = this.#tracing.instruments;
    if (call.streamed && instruments !== null) instruments.timeToFirstToken.record((performance.now() - this.#started) / 1000, this.#metricAttributes());
  }

  /**
   * What an answer says: the executed answer (a chat completion or a native Response), or what the call resolved with
   * (`final`: a Responses turn's Response object, whose id then wins). Finish reasons and content are kept from the
   * first that has them.
   */
  answered(value: unknown, final = false): void {
    if (this.#ended) return;
    const facts = readAnswerFacts(value);
    if (facts.id !== undefined && (final || !this.#answered)) this.#learnt['gen_ai.response.id'] = facts.id;
    if (facts.completion === undefined || this.#answered) return;
    this.#answered = true;
    if (facts.finishReasons.length > 0) this.#learnt['gen_ai.response.finish_reasons'] = facts.finishReasons;
    const settings = this.#tracing.settings;
    if (settings.captureContent) this.#learnt['gen_ai.output.messages'] = toOutputMessages(facts.completion, settings.maxContentBytes);
  }

  /**
   * A streamed chat answer, from its first and last chunk bytes (a pass-through stream is not parsed): the id of its
   * chunks and the finish reasons of its last content chunk, read by a scan of at most a few KiB.
   */
  streamedChat(first: Uint8Array | null, last: Uint8Array | null): void {
    if (this.#ended) return;
    const facts = readStreamFacts(first, last);
    if (facts.id !== undefined) this.#learnt['gen_ai.response.id'] = facts.id;
    if (facts.finishReasons.length > 0) this.#learnt['gen_ai.response.finish_reasons'] = facts.finishReasons;
  }

  /** The request's chat messages, read and recorded only when `telemetry.capture_content` is on (bounded in size). */
  prompt(readMessages: () => unknown): void {
    const settings = this.#tracing.settings;
    if (settings.captureContent) this.#learnt['gen_ai.input.messages'] = toInputMessages(readMessages(), settings.maxContentBytes);
  }

  /** The tokens the call used (recorded once: the call meter takes only the first usage too). */
  usage(tokens: TokenCounts): void {
    if (this.#tokens !== null || this.#ended) return;
    this.#tokens = tokens;
    const learnt = this.#learnt;
    learnt['gen_ai.usage.input_tokens'] = tokens.input;
    learnt['gen_ai.usage.output_tokens'] = tokens.output;
    if (tokens.cached > 0) learnt['gen_ai.usage.cache_read.input_tokens'] = tokens.cached;
    if (tokens.reasoning > 0) learnt['gen_ai.usage.reasoning.output_tokens'] = tokens.reasoning;
  }

  /** Ends the span and records the duration and token metrics; null for a success, else the error's type. */
  end(errorType: string | null): void {
    if (this.#ended) return;
    this.#ended = true;
    if (errorType !== null) {
      this.#learnt['error.type'] = errorType;
      this.#span.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.#span.setAttributes(this.#learnt);
    this.#span.end();
    const instruments = this.#tracing.instruments;
    if (instruments === null) return;
    const duration = (performance.now() - this.#started) / 1000;
    instruments.operationDuration.record(duration, this.#metricAttributes(errorType === null ? undefined : { 'error.type': errorType }));
    if (this.#tokens !== null) {
      instruments.tokenUsage.record(this.#tokens.input, this.#metricAttributes({ 'gen_ai.token.type': 'input' }));
      instruments.tokenUsage.record(this.#tokens.output, this.#metricAttributes({ 'gen_ai.token.type': 'output' }));
    }
  }

  /** The attributes of one of the call's measurements (see callMetricAttributes). */
  #metricAttributes(kind?: MeasurementKind): Attributes {
    return callMetricAttributes(this.#operation, this.#requestModel, this.#provider, this.#responseModel, kind);
  }
}

/** The scope `context` belongs to, if any. */
function scopeOf(context: Context): TraceScope | undefined {
  return context.getValue(SCOPE_KEY) as TraceScope | undefined;
}

/** The active context when it belongs to `tracing`'s gateway, else a new trace's root. */
function activeContextOf(tracing: GatewayTracing): Context {
  const context = contextManager.active();
  return scopeOf(context)?.tracing === tracing ? context : ROOT_CONTEXT;
}

/** A low-cardinality name of a failure: a CrosswayError's code, else the error's class name. */
function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code.slice(0, 64);
  return error instanceof Error ? error.name : '_OTHER';
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return (query === -1 ? url : url.slice(0, query)).slice(0, 2048);
}

/**
 * Opens the gateway's telemetry when a traces or metrics endpoint is configured, else answers null without loading
 * the SDK. The providers are the gateway's own (not the API's globals) and are flushed by `shutdown`.
 */
export async function openGatewayTracing(settings: TracingSettings, serviceVersion: string | undefined): Promise<GatewayTracing | null> {
  if (settings.tracesUrl === null && settings.metricsUrl === null) return null;
  // Loaded only when on: the SDK and exporters cost a start tens of milliseconds.
  const { openTracingParts } = await import('./tracing-sdk.ts');
  return new GatewayTracing(await openTracingParts(settings, serviceVersion), settings);
}
