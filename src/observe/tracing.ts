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

const TRACING_KEY = createContextKey('crossway.tracing');
const SERVER_SPAN_KEY = createContextKey('crossway.server_span');

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
    const scope = trace.setSpan(parent.setValue(TRACING_KEY, this).setValue(SERVER_SPAN_KEY, span), span);
    try {
      await contextManager.with(scope, answer);
    } finally {
      const code = status();
      if (code !== null) span.setAttribute('http.response.status_code', code);
      if (code === null || code >= 500) {
        span.setAttribute('error.type', code === null ? 'client_closed' : String(code));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
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
  if (context.getValue(TRACING_KEY) !== tracing) return null;
  return trace.getSpanContext(context) ?? null;
}

/** Names the request's SERVER span after the route table's entry it matched (`POST /v1/chat/completions`). */
export function nameServerSpan(method: string, route: string): void {
  if (liveTracings === 0) return;
  const span = contextManager.active().getValue(SERVER_SPAN_KEY) as Span | undefined;
  if (span === undefined) return;
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
  const tracing = parent.getValue(TRACING_KEY) as GatewayTracing | undefined;
  if (tracing === undefined) return null;
  const attributes: Attributes = {
    'http.request.method': 'POST',
    'crossway.route': facts.route,
    'crossway.attempt': facts.number,
    'gen_ai.provider.name': genAiProviderName(facts.provider),
  };
  if (facts.region !== undefined) attributes['cloud.region'] = facts.region;
  if (facts.number > 1) attributes['http.request.resend_count'] = facts.number - 1;
  const span = tracing.tracer.startSpan('POST', { kind: SpanKind.CLIENT, attributes }, parent);
  const context = trace.setSpan(parent, span);
  let ended = false;
  return {
    run: (attempt) => contextManager.with(context, attempt),
    end(status, errorType) {
      if (ended) return;
      ended = true;
      if (status !== null) span.setAttribute('http.response.status_code', status);
      if (errorType !== null) {
        span.setAttribute('error.type', errorType);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
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
  if (context.getValue(TRACING_KEY) === undefined || span === undefined) return headers;
  try {
    const parsed = new URL(url);
    span.setAttribute('server.address', parsed.hostname);
    span.setAttribute('server.port', Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80)));
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

/** The inference span of one model call, and the GenAI metrics recorded when it ends. */
export class ModelCallTrace {
  readonly #tracing: GatewayTracing;
  readonly #span: Span;
  readonly #context: Context;
  readonly #started = performance.now();
  readonly #attributes: Attributes;
  #tokens: TokenCounts | null = null;
  #answered = false;
  #ended = false;

  constructor(tracing: GatewayTracing, operation: 'chat' | 'embeddings', requestModel: string, parent: Context) {
    this.#tracing = tracing;
    // The metrics' attributes; the span has these and more.
    this.#attributes = { 'gen_ai.operation.name': operation, 'gen_ai.request.model': requestModel };
    // CLIENT, as the conventions say of an inference span (the model runs elsewhere); each upstream attempt is a CLIENT
    // span under it, as an instrumented SDK's call is over its instrumented HTTP client.
    this.#span = tracing.tracer.startSpan(`${operation} ${requestModel}`, { kind: SpanKind.CLIENT, attributes: this.#attributes }, parent);
    this.#context = trace.setSpan(parent.setValue(TRACING_KEY, tracing), this.#span);
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
    this.#span.setAttribute('crossway.decision_id', decisionId);
  }

  /** Runs the planner inside an INTERNAL `crossway.plan` span; `describe` reads what the plan kept and rejected. */
  plan<T>(model: string, planRoutes: () => T, describe: (plan: T) => { kept: number; rejected: number }): T {
    const span = this.#tracing.tracer.startSpan('crossway.plan', { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.request.model': model } }, this.#context);
    try {
      const plan = planRoutes();
      const { kept, rejected } = describe(plan);
      span.setAttributes({ 'crossway.plan.kept': kept, 'crossway.plan.rejected': rejected });
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
    this.#attributes['gen_ai.provider.name'] = provider;
    this.#attributes['gen_ai.response.model'] = call.responseModel;
    this.#span.setAttributes({
      'gen_ai.provider.name': provider,
      'gen_ai.response.model': call.responseModel,
      'crossway.route': call.route,
    });
    if (call.region !== undefined) this.#span.setAttribute('cloud.region', call.region);
    if (call.streamed) this.#tracing.instruments?.timeToFirstToken.record((performance.now() - this.#started) / 1000, this.#attributes);
  }

  /**
   * What an answer says: the executed answer (a chat completion or a native Response), or what the call resolved with
   * (`final`: a Responses turn's Response object, whose id then wins). Finish reasons and content are kept from the
   * first that has them.
   */
  answered(value: unknown, final = false): void {
    const facts = readAnswerFacts(value);
    if (facts.id !== undefined && (final || !this.#answered)) this.#span.setAttribute('gen_ai.response.id', facts.id);
    if (facts.completion === undefined || this.#answered) return;
    this.#answered = true;
    if (facts.finishReasons.length > 0) this.#span.setAttribute('gen_ai.response.finish_reasons', facts.finishReasons);
    const settings = this.#tracing.settings;
    if (settings.captureContent) this.#span.setAttribute('gen_ai.output.messages', toOutputMessages(facts.completion, settings.maxContentBytes));
  }

  /**
   * A streamed chat answer, from its first and last chunk bytes (a pass-through stream is not parsed): the id of its
   * chunks and the finish reasons of its last content chunk, read by a scan of at most a few KiB.
   */
  streamedChat(first: Uint8Array | null, last: Uint8Array | null): void {
    const facts = readStreamFacts(first, last);
    if (facts.id !== undefined) this.#span.setAttribute('gen_ai.response.id', facts.id);
    if (facts.finishReasons.length > 0) this.#span.setAttribute('gen_ai.response.finish_reasons', facts.finishReasons);
  }

  /** The request's chat messages, read and recorded only when `telemetry.capture_content` is on (bounded in size). */
  prompt(readMessages: () => unknown): void {
    const settings = this.#tracing.settings;
    if (settings.captureContent) this.#span.setAttribute('gen_ai.input.messages', toInputMessages(readMessages(), settings.maxContentBytes));
  }

  /** The tokens the call used (recorded once: the call meter takes only the first usage too). */
  usage(tokens: TokenCounts): void {
    if (this.#tokens !== null) return;
    this.#tokens = tokens;
    this.#span.setAttributes({ 'gen_ai.usage.input_tokens': tokens.input, 'gen_ai.usage.output_tokens': tokens.output });
    if (tokens.cached > 0) this.#span.setAttribute('gen_ai.usage.cache_read.input_tokens', tokens.cached);
    if (tokens.reasoning > 0) this.#span.setAttribute('gen_ai.usage.reasoning.output_tokens', tokens.reasoning);
  }

  /** Ends the span and records the duration and token metrics; null for a success, else the error's type. */
  end(errorType: string | null): void {
    if (this.#ended) return;
    this.#ended = true;
    const instruments = this.#tracing.instruments;
    if (errorType !== null) {
      this.#span.setAttribute('error.type', errorType);
      this.#span.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.#span.end();
    if (instruments === null) return;
    const attributes = errorType === null ? this.#attributes : { ...this.#attributes, 'error.type': errorType };
    instruments.operationDuration.record((performance.now() - this.#started) / 1000, attributes);
    if (this.#tokens !== null) {
      instruments.tokenUsage.record(this.#tokens.input, { ...this.#attributes, 'gen_ai.token.type': 'input' });
      instruments.tokenUsage.record(this.#tokens.output, { ...this.#attributes, 'gen_ai.token.type': 'output' });
    }
  }
}

/** The active context when it belongs to `tracing`'s gateway, else a new trace's root. */
function activeContextOf(tracing: GatewayTracing): Context {
  const context = contextManager.active();
  return context.getValue(TRACING_KEY) === tracing ? context : ROOT_CONTEXT;
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
