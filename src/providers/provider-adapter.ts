// The contract every provider adapter implements: pure translation between OpenAI's wire shape and one
// cloud's HTTP API. No network, clock, environment or logging here; auth is applied separately (Authenticator)
// and retries/failover belong to execute/.
import type { Route } from '../catalog/index.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, EmbeddingRequest, EmbeddingResponse, UpstreamError, Usage } from '../wire/index.ts';

/** An HTTP request ready to send to a route's endpoint (before auth headers are added). */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  /** Absolute URL, always built from the route's configured endpoint, never from client input. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * What the adapter changed to fit the request to the route's wire (a value clamped into its range, a message added),
   * one sentence each; the executor records them with the attempt, and the decision shows them.
   */
  notes?: string[];
}

/** Response headers as undici delivers them. */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/** Options for translating a streamed reply into OpenAI chat-completion SSE bytes. */
export interface ChatStreamOptions {
  /** The client asked for `stream_options.include_usage`; when false the usage-only chunk is withheld. */
  includeUsage: boolean;
  /**
   * The consumer needs every chunk parsed (a Responses turn translates them). Translating adapters build the chunks
   * anyway; the OpenAI-wire pass-through parses its events only when this is set, so that a plain chat stream pays no
   * JSON.parse per chunk.
   */
  parseChunks?: boolean;
  /**
   * The `model` every chunk names, for a route (the catalog's model, the same whichever cloud serves it); the cloud's
   * own id when absent.
   */
  answerModel?: (route: Route) => string;
}

/**
 * One piece of a streamed chat completion, as OpenAI chat-completion SSE bytes to send in order. A stream is `chunks`
 * events, at most one `usage` event (when the cloud reported usage; it comes at the usage-only chunk, which OpenAI sends
 * last before `[DONE]`, so whatever an upstream sends after that passes after it), and `done`, always last and always
 * after `usage`: metering commits on `usage` before the `done` bytes reach the client. A stream that fails throws
 * instead of yielding `done`. Pass-through bytes are views of the upstream's buffers.
 */
export type ChatStreamEvent =
  /**
   * SSE bytes of one or more chat-completion chunks (and comments), and those chunks parsed when the adapter has
   * them: always for translating adapters, for the OpenAI-wire pass-through only when `parseChunks` was asked.
   */
  | { type: 'chunks'; bytes: Uint8Array; chunks: readonly ChatCompletionChunk[] | null }
  /**
   * The final usage, once. `bytes` is the usage-only chunk (`choices: []`) when the client asked for include_usage
   * and the cloud sent one, else null (the usage came on a content chunk, or the chunk is withheld).
   */
  | { type: 'usage'; usage: Usage; bytes: Uint8Array | null }
  /** `data: [DONE]` (with any events that came after the usage): always the last event. */
  | { type: 'done'; bytes: Uint8Array };

/** One upstream event of a native Responses stream, parsed (`type`, `sequence_number`, and the event's own fields). */
export type NativeResponsesEventValue = Record<string, unknown> & { type: string };

/**
 * One piece of a native Responses stream, as the upstream's SSE bytes (views of its buffers) and every event in them
 * parsed once. A stream is `events*`, then `usage` when the final event reports it, then `end`, always in this order.
 */
export type NativeResponsesStreamEvent =
  | { type: 'events'; bytes: Uint8Array; events: readonly NativeResponsesEventValue[] }
  /** The final event's usage in the chat `Usage` shape, before the piece that holds that event. */
  | { type: 'usage'; usage: Usage }
  /** The last piece: its last event is the final one (`response.completed` or `response.incomplete`). */
  | { type: 'end'; bytes: Uint8Array; events: readonly NativeResponsesEventValue[] };

/** A reply translated to OpenAI's shape, plus the raw body when it can be sent to the client unchanged. */
export interface ChatResult {
  completion: ChatCompletion;
  /** Bytes to send as-is (OpenAI-wire upstreams), so the gateway never re-serialises what it need not. */
  passthroughBody?: Uint8Array;
}

/** A native Responses API reply (a Response object), with its usage in the chat shape and the bytes as received. */
export interface ResponsesResult {
  /** The Response object exactly as the cloud sent it (every field kept). */
  response: Record<string, unknown>;
  /** `response.usage` mapped to the chat `Usage` shape (prompt_tokens = input_tokens, ...); null when absent. */
  usage: Usage | null;
  passthroughBody: Uint8Array;
}

export interface EmbeddingResult {
  response: EmbeddingResponse;
  passthroughBody?: Uint8Array;
}

/** One wire protocol (a folder under providers/). */
export interface ProviderAdapter {
  readonly name: string;
  /** Builds the upstream call for a chat completion. `request.model` is the client's model name. */
  prepareChat(request: ChatCompletionRequest, route: Route): UpstreamRequest;
  /** Reads a successful (2xx) non-streaming chat reply. */
  readChat(body: Uint8Array, route: Route): ChatResult;
  /**
   * Turns a successful (2xx) streamed chat reply into OpenAI chat-completion SSE events (see ChatStreamEvent for their
   * order). Throws UpstreamError when the stream carries an error or ends before its end marker.
   */
  streamChat(body: AsyncIterable<Uint8Array>, route: Route, options: ChatStreamOptions): AsyncIterable<ChatStreamEvent>;
  /** Builds the upstream call for embeddings. */
  prepareEmbeddings(request: EmbeddingRequest, route: Route): UpstreamRequest;
  readEmbeddings(body: Uint8Array, route: Route): EmbeddingResult;
  /** The native Responses API (POST /v1/responses), for clouds that serve it on some of their routes. */
  readonly responses?: NativeResponsesWire;
  /** Maps a non-2xx reply to an UpstreamError (status, code, retry decision, retry-after), keeping the cloud's message. */
  readError(status: number, headers: UpstreamHeaders, body: Uint8Array, route: Route): UpstreamError;
}

/** The native Responses API of a wire protocol: which routes serve it, and its translation. */
export interface NativeResponsesWire {
  /**
   * Whether this route's API form serves `/responses` (Azure's `deployments` form does not); the catalog's `responses`
   * capability says whether the model behind the route does.
   */
  supports(route: Route): boolean;
  /**
   * Builds the upstream call for a Responses body that already carries the full context as `input` items: `model` set
   * to the route's deployment, `store: false`, `stream` as `body.stream` says, and no upstream state
   * (`previous_response_id`, `conversation`, `background`) nor Crossway's own fields.
   */
  prepare(body: Record<string, unknown>, route: Route): UpstreamRequest;
  /** Reads a successful (2xx) non-streaming Responses reply; throws UpstreamError when it is not a usable Response. */
  read(body: Uint8Array, route: Route): ResponsesResult;
  /**
   * Passes a successful (2xx) streamed Responses reply through as the upstream's SSE bytes with each event parsed,
   * ending with the final event (`response.completed` / `response.incomplete`; see NativeResponsesStreamEvent). Throws
   * UpstreamError on `response.failed`, on an `error` event, on an event that is not JSON, and when the stream ends
   * without a final event.
   */
  stream(body: AsyncIterable<Uint8Array>, route: Route): AsyncIterable<NativeResponsesStreamEvent>;
}

/** Adds credentials to an upstream request. One per route; caches tokens itself. */
export interface Authenticator {
  authorize(request: UpstreamRequest, signal?: AbortSignal): Promise<UpstreamRequest>;
}
