// The contract every provider adapter implements: pure translation between OpenAI's wire shape and one
// cloud's HTTP API. No network, clock, environment or logging here; auth is applied separately (Authenticator)
// and retries/failover belong to execute/.
import type { Route } from '../catalog/index.ts';
import type { ChatCompletion, ChatCompletionRequest, EmbeddingRequest, EmbeddingResponse, UpstreamError, Usage } from '../wire/index.ts';

/** An HTTP request ready to send to a route's endpoint (before auth headers are added). */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  /** Absolute URL, always built from the route's configured endpoint, never from client input. */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Response headers as undici delivers them. */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/** Options for translating a streamed reply into OpenAI chat-completion SSE bytes. */
export interface ChatStreamOptions {
  /** The client asked for `stream_options.include_usage`; when false the usage-only chunk is withheld. */
  includeUsage: boolean;
  /** Called once with the final usage when the stream reports it. */
  onUsage(usage: Usage): void;
}

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

/** Options for passing a streamed native Responses reply through. */
export interface ResponsesStreamOptions {
  /** Called once with the final event's usage (chat `Usage` shape), just before that event is yielded. */
  onUsage(usage: Usage): void;
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
   * Turns a successful (2xx) streamed chat reply into OpenAI chat-completion SSE bytes (`data: {...}\n\n`
   * events ending with `data: [DONE]\n\n`). Throws UpstreamError when the stream carries an error or ends
   * before its end marker.
   */
  streamChat(body: AsyncIterable<Uint8Array>, route: Route, options: ChatStreamOptions): AsyncIterable<Uint8Array>;
  /** Builds the upstream call for embeddings. */
  prepareEmbeddings(request: EmbeddingRequest, route: Route): UpstreamRequest;
  readEmbeddings(body: Uint8Array, route: Route): EmbeddingResult;
  // The native Responses API (POST /v1/responses), for clouds that serve it: the four methods are present or none is.
  /**
   * Whether this route's API form serves `/responses` (Azure's `deployments` form does not); the catalog's `responses`
   * capability says whether the model behind the route does.
   */
  supportsResponses?(route: Route): boolean;
  /**
   * Builds the upstream call for a Responses body that already carries the full context as `input` items: `model` set
   * to the route's deployment, `store: false`, `stream` as `body.stream` says, and no upstream state
   * (`previous_response_id`, `conversation`, `background`) nor Crossway's own fields.
   */
  prepareResponses?(body: Record<string, unknown>, route: Route): UpstreamRequest;
  /** Reads a successful (2xx) non-streaming Responses reply; throws UpstreamError when it is not a usable Response. */
  readResponses?(body: Uint8Array, route: Route): ResponsesResult;
  /**
   * Passes a successful (2xx) streamed Responses reply through as the upstream's SSE bytes, ending with the final event
   * (`response.completed` / `response.incomplete`). Throws UpstreamError on `response.failed`, on an `error` event and
   * when the stream ends without a final event.
   */
  streamResponses?(body: AsyncIterable<Uint8Array>, route: Route, options: ResponsesStreamOptions): AsyncIterable<Uint8Array>;
  /** Maps a non-2xx reply to an UpstreamError (status, code, retry decision, retry-after), keeping the cloud's message. */
  readError(status: number, headers: UpstreamHeaders, body: Uint8Array, route: Route): UpstreamError;
}

/** Adds credentials to an upstream request. One per route; caches tokens itself. */
export interface Authenticator {
  authorize(request: UpstreamRequest, signal?: AbortSignal): Promise<UpstreamRequest>;
}
