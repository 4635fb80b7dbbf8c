// One open Responses API WebSocket: its `response.create` client events run one at a time as turns on the same core as
// POST /v1/responses (the request rate, budgets, metering, decisions, storage and the request log alike), their
// events sent back as JSON text frames, and the socket's last `store: false` response kept in memory for the next turn.
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { type CallContext, createTimeOrderedId, type Principal } from '../calls/index.ts';
import { ResponseChainCache } from '../runtime/index.ts';
import {
  checkTurnStorage,
  persistTurn,
  prepareTurn,
  redactMcpTurn,
  type ResponseTurn,
  streamMcpTurn,
  streamTurn,
  type TurnResult,
  turnResponse,
  type TurnSink,
  usesMcpTools,
} from '../turns/index.ts';
import {
  ClientClosedError,
  type CrosswayError,
  formatPath,
  InvalidRequestError,
  parseRequest,
  type ResponseCreateRequest,
  responseCreateRequestSchema,
  type ResponseStreamEvent,
  toCrosswayError,
} from '../wire/index.ts';
import { authenticate } from './authenticate.ts';
import { findExcessNesting, MAX_JSON_DEPTH } from './find-excess-nesting.ts';
import type { GatewayContext } from './gateway-types.ts';
import { buildErrorBody, errorResult } from './http-result.ts';

/** Bytes a socket may hold unsent before a turn waits for the client to take them (backpressure). */
const SEND_HIGH_WATER_BYTES = 1024 * 1024;

/** Fields of `response.create` that belong to the WebSocket envelope, not to the create body. */
const ENVELOPE_FIELDS = ['type', 'stream_id', 'generate'] as const;

/** What a session needs beyond the gateway: how long it may live and how much it may remember. */
export interface SocketSessionLimits {
  /** A socket older than this takes no new turn (OpenAI's 60-minute connection limit). */
  maxAgeMs: number;
  /** Bound on the estimated bytes of the last `store: false` response's chain kept for continuation. */
  memoryBytes: number;
}

/** One authenticated socket; its owner forwards the socket's messages and tells it when the socket closed. */
export class ResponsesSocketSession {
  readonly #gateway: GatewayContext;
  readonly #ws: WebSocket;
  /** The caller, authenticated again (from the upgrade's key) before each turn. */
  #principal: Principal;
  /** The upgrade request: its key and routing constraint headers (`x-crossway-*`) stand for every turn on the socket. */
  readonly #upgrade: IncomingMessage;
  readonly #limits: SocketSessionLimits;
  /** Aborted when the socket closes: the running turn's call is abandoned (and metered as a 499). */
  readonly #closed = new AbortController();
  readonly #openedAt = performance.now();
  /** The socket's last `store: false` response, as a one-link chain; OpenAI keeps it on the connection only. */
  readonly #memory: ResponseChainCache;
  #memoryId: string | null = null;
  #turn: Promise<void> | null = null;
  /** performance.now() of the last message from the client (the idle timeout counts from it). */
  lastActivity = performance.now();

  constructor(gateway: GatewayContext, ws: WebSocket, principal: Principal, upgrade: IncomingMessage, limits: SocketSessionLimits) {
    this.#gateway = gateway;
    this.#ws = ws;
    this.#principal = principal;
    this.#upgrade = upgrade;
    this.#limits = limits;
    // One link only, of at most memoryBytes (the cache refuses a link above an eighth of its bound): a larger chain
    // is not remembered, and its continuation is answered previous_response_not_found, as when OpenAI evicts it.
    this.#memory = new ResponseChainCache({ maxBytes: limits.memoryBytes * 8, maxLinks: 1 });
  }

  /** True while a turn runs (the idle timeout does not apply). */
  get busy(): boolean {
    return this.#turn !== null;
  }

  /** The running turn, settled (never rejects); resolved at once when none runs. */
  settled(): Promise<void> {
    return this.#turn ?? Promise.resolve();
  }

  /** Takes one client message. */
  receive(data: Buffer, isBinary: boolean): void {
    this.lastActivity = performance.now();
    let event: Record<string, unknown>;
    try {
      event = parseClientEvent(data, isBinary);
    } catch (error) {
      this.#sendError(toCrosswayError(error));
      return;
    }
    // Codex acknowledges each response it processed; the event asks for no answer.
    if (event.type === 'response.processed') return;
    if (event.type !== 'response.create') {
      const type = typeof event.type === 'string' ? `'${event.type.slice(0, 64)}'` : 'missing';
      this.#sendError(new InvalidRequestError(`Unsupported client event type (${type}): send response.create.`, 'type', 'invalid_event_type'));
      return;
    }
    if (this.#turn !== null) {
      // One response at a time per socket: the running one goes on, this one is refused.
      this.#sendError(
        new InvalidRequestError(
          'A response is already in progress on this WebSocket: wait for its final event, or open another connection.',
          null,
          'response_already_in_flight',
        ),
      );
      return;
    }
    this.#turn = this.#runTurn(event).finally(() => {
      this.#turn = null;
    });
  }

  /** The socket closed: the running turn's call is abandoned. */
  close(): void {
    this.#closed.abort();
  }

  async #runTurn(event: Record<string, unknown>): Promise<void> {
    const requestId = createTimeOrderedId('req');
    const startedAt = performance.now();
    const row: SocketLogRow = { model: '', route: null, provider: null, decisionId: null, attempts: 0, firstByteAt: null };
    // The executor adds each upstream attempt's time (and backoff) here, as it does on an HTTP request's exchange.
    const upstreamTime: { upstreamMs?: number } = {};
    const generate = event.generate !== false;
    try {
      if (performance.now() - this.#openedAt > this.#limits.maxAgeMs) throw connectionLimitReached(this.#limits.maxAgeMs);
      const request = readCreateRequest(event);
      row.model = request.model;
      // As an HTTP call would be: a key revoked or expired since the upgrade, or a tenant changed, counts from now.
      this.#principal = await authenticate(this.#upgrade, this.#gateway);
      const requestRate = await this.#gateway.limiter.takeRequest(this.#principal);
      const context: CallContext = {
        principal: this.#principal,
        requestId,
        signal: this.#closed.signal,
        startedAt,
        // A socket's turns have no caller timeout of their own: the socket's closing abandons them.
        deadlineAt: null,
        routingHeaders: this.#upgrade.headers,
        requestRate,
        upstreamTime,
      };
      const tenant = this.#principal.tenant.id;
      // The socket's own store: false response continues from memory; anything else from the chain cache or the store.
      const fromMemory = request.previous_response_id != null && request.previous_response_id === this.#memoryId;
      const turn = await prepareTurn(fromMemory ? { ...this.#gateway, chainCache: this.#memory } : this.#gateway, tenant, request);
      await checkTurnStorage(this.#gateway, tenant, {
        request,
        stores: request.store !== false,
        conversationItems: turn.conversationId === null ? null : turn.contextItems.length,
        newItems: turn.inputItems.length,
      });
      const sink: TurnSink = {
        started: (info) => {
          row.route = info.route.id;
          row.provider = info.route.provider;
          row.decisionId = info.decisionId;
          row.attempts = info.attempts;
        },
        event: async (value) => {
          row.firstByteAt ??= performance.now();
          await this.#send(value);
        },
      };
      // With mcp tools Crossway runs the servers' tools (turns/run-mcp-turn.ts); what is kept has no credentials.
      const mcp = usesMcpTools(request);
      const kept = mcp ? redactMcpTurn(turn) : turn;
      const persist = (result: TurnResult) => persistTurn(this.#gateway, tenant, kept, result);
      const stream = mcp ? streamMcpTurn : streamTurn;
      const result = generate ? await stream(this.#gateway, context, turn, sink, persist) : await this.#warmUp(kept, sink, persist);
      this.#remember(kept, result);
      this.#record(requestId, startedAt, row, 200, null, upstreamTime.upstreamMs);
    } catch (thrown) {
      const error = this.#closed.signal.aborted ? new ClientClosedError() : toCrosswayError(thrown);
      row.decisionId ??= toCrosswayError(thrown).decisionId;
      this.#record(requestId, startedAt, row, error.status, error.code, upstreamTime.upstreamMs);
      if (error instanceof ClientClosedError) return;
      if (error.status >= 500) this.#gateway.logger.error({ err: thrown, requestId }, 'websocket turn failed');
      this.#sendError(error);
      if (error.code === CONNECTION_LIMIT_CODE) this.#ws.close(1000, 'connection limit reached');
      // 1008: policy violation (RFC 6455 section 7.4.1); the client reconnects with a valid key.
      else if (error.status === 401) this.#ws.close(1008, 'invalid API key');
    }
  }

  /**
   * `generate: false` (OpenAI's warm-up): the turn's state is prepared and stored (when `store` is not false) without a
   * model call, and answered with an empty completed response that later turns can continue from.
   */
  async #warmUp(turn: ResponseTurn, sink: TurnSink, persist: (result: TurnResult) => Promise<void>): Promise<TurnResult> {
    const created = turnResponse(turn, { status: 'in_progress' });
    const result: TurnResult = { response: turnResponse(turn, { status: 'completed' }), output: [], route: null, usageEventId: null };
    await sink.event({ type: 'response.created', sequence_number: 0, response: created } as ResponseStreamEvent);
    await persist(result);
    await sink.event({ type: 'response.completed', sequence_number: 1, response: result.response } as ResponseStreamEvent);
    return result;
  }

  /** Keeps a `store: false` response's whole chain for the next turn on this socket; a stored one is found elsewhere. */
  #remember(turn: ResponseTurn, result: TurnResult): void {
    this.#memory.clear();
    this.#memoryId = null;
    if (turn.request.store !== false) return;
    const tenant = this.#principal.tenant.id;
    this.#memory.add(tenant, turn.id, null, [...turn.contextItems, ...turn.inputItems, ...result.output]);
    if (this.#memory.size > 0) this.#memoryId = turn.id;
  }

  /** Sends one event; waits for the client to take what is buffered once that passes SEND_HIGH_WATER_BYTES. */
  async #send(value: unknown): Promise<void> {
    if (this.#ws.readyState !== WebSocket.OPEN) throw new ClientClosedError();
    const text = JSON.stringify(value);
    if (this.#ws.bufferedAmount < SEND_HIGH_WATER_BYTES) {
      this.#ws.send(text);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.#ws.send(text, (error) => (error === undefined || error === null ? resolve() : reject(new ClientClosedError())));
    });
  }

  #sendError(error: CrosswayError): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#ws.send(JSON.stringify(toErrorEvent(error)));
  }

  /** One request-log row per `response.create`, as POST /v1/responses writes for a stream. */
  #record(requestId: string, startedAt: number, row: SocketLogRow, status: number, errorCode: string | null, upstreamMs: number | undefined): void {
    this.#gateway.requestLog.record({
      id: requestId,
      created_at: new Date(Date.now() - (performance.now() - startedAt)).toISOString(),
      endpoint: 'responses',
      model: row.model,
      route: row.route,
      attempts: row.attempts,
      status,
      error_code: errorCode,
      stream: true,
      prompt_tokens: null,
      completion_tokens: null,
      cached_tokens: null,
      duration_ms: Math.round(performance.now() - startedAt),
      ttfb_ms: row.firstByteAt === null ? null : Math.round(row.firstByteAt - startedAt),
      tenant_id: this.#principal.tenant.id,
      key_id: this.#principal.key?.id ?? null,
      decision_id: row.decisionId,
      provider: row.provider,
      upstream_ms: upstreamMs === undefined ? null : Math.round(upstreamMs),
    });
  }
}

/** What a socket's turn tells its request-log row as it goes. */
interface SocketLogRow {
  model: string;
  route: string | null;
  provider: string | null;
  decisionId: string | null;
  attempts: number;
  firstByteAt: number | null;
}

/** OpenAI's code for a socket past its age limit: Codex reconnects and retries on it. */
const CONNECTION_LIMIT_CODE = 'websocket_connection_limit_reached';

function connectionLimitReached(maxAgeMs: number): CrosswayError {
  const minutes = Math.round(maxAgeMs / 60_000);
  return new InvalidRequestError(
    `Responses websocket connection limit reached (${minutes} minutes). Create a new websocket connection to continue.`,
    null,
    CONNECTION_LIMIT_CODE,
  );
}

/**
 * A client event: one JSON object in a text frame (the frame's size is bounded by the socket's maxPayload, the body
 * limit), nesting at most MAX_JSON_DEPTH levels, as a request body is.
 */
export function parseClientEvent(data: Buffer, isBinary: boolean): Record<string, unknown> {
  if (isBinary) throw new InvalidRequestError('Client events are JSON text frames; binary frames are not accepted.', null, 'invalid_event');
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new InvalidRequestError('We could not parse the JSON of your client event: send one JSON object per text frame.', null, 'invalid_json');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidRequestError('A client event must be a JSON object.', null, 'invalid_json');
  }
  const tooDeep = findExcessNesting(parsed, MAX_JSON_DEPTH);
  if (tooDeep !== null) {
    const param = formatPath(tooDeep);
    throw new InvalidRequestError(`Invalid value for '${param}': JSON may nest at most ${MAX_JSON_DEPTH} levels deep.`, param, 'json_too_deep');
  }
  return parsed as Record<string, unknown>;
}

/**
 * The create body of a `response.create` event: the event without its envelope fields, streamed (over a socket every
 * response is); `background` is refused, as OpenAI does over WebSocket.
 */
export function readCreateRequest(event: Record<string, unknown>): ResponseCreateRequest {
  const body: Record<string, unknown> = { ...event };
  for (const field of ENVELOPE_FIELDS) delete body[field];
  if (body.background === true) throw new InvalidRequestError('Background responses are not supported over WebSocket: use POST /v1/responses.', 'background');
  return parseRequest(responseCreateRequestSchema, { ...body, stream: true });
}

/**
 * The documented `error` server event: `status` (the HTTP status the same failure would have had) and the OpenAI error
 * object, with the headers an HTTP answer would have carried (retry-after, rate limits, decision) under `headers`.
 */
export function toErrorEvent(error: CrosswayError): Record<string, unknown> {
  const { headers } = errorResult(error);
  const body = buildErrorBody(error).error;
  return { type: 'error', status: error.status, error: Object.keys(headers).length === 0 ? body : { ...body, headers } };
}
