// The gateway's HTTP server: node:http, a small route table, authentication, error mapping and the request log.
// node:http rather than a framework: the hot path is a few handlers that stream bytes, and every layer a
// framework adds (schema compilation, hooks, reply decoration) is per-request cost we would not use.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createTimeOrderedId } from '../calls/index.ts';
import { nameServerSpan } from '../observe/index.ts';
import { ClientClosedError, excerpt, MethodNotAllowedError, NotFoundError, toCrosswayError } from '../wire/index.ts';
import { auditAdminAction } from './audit-admin-action.ts';
import { authenticateCaller } from './authenticate.ts';
import { captureIdempotent } from './capture-idempotent.ts';
import { compose } from './compose.ts';
import type { ErrorShape, Exchange, GatewayContext, HttpResult, RouteEntry } from './gateway-types.ts';
import { ADMIN_AUDIT_ROUTES } from './handle-admin-audit.ts';
import { ADMIN_READ_ROUTES } from './admin-read-routes.ts';
import { ADMIN_LEDGER_ROUTES } from './handle-admin-ledger.ts';
import { ADMIN_MCP_SERVER_ROUTES } from './handle-admin-mcp-servers.ts';
import { ADMIN_MCP_CREDENTIAL_ROUTES } from './handle-admin-mcp-credentials.ts';
import { handleAdminRoutes } from './handle-admin-routes.ts';
import { ADMIN_TENANCY_ROUTES } from './handle-admin-tenancy.ts';
import { handleChatCompletions } from './handle-chat-completions.ts';
import { handleCompactResponse } from './handle-compact-response.ts';
import { AGENT_SESSIONS_ROUTES } from './handle-agent-sessions.ts';
import { AGENTS_ROUTES } from './handle-agents.ts';
import { CONVERSATIONS_ROUTES } from './handle-conversations.ts';
import { handleEmbeddings } from './handle-embeddings.ts';
import { handleGetDecision } from './handle-get-decision.ts';
import { handleHealth, handleReady } from './handle-health.ts';
import { handleMetrics } from './handle-metrics.ts';
import { handleCountMessageTokens, handleMessages } from './handle-messages.ts';
import { handleGetModel, handleListModels } from './handle-models.ts';
import { OIDC_SIGN_IN_ROUTES } from './handle-oidc-sign-in.ts';
import { RESPONSES_ROUTES } from './handle-responses.ts';
import { createUiRoutes } from './handle-ui.ts';
import { UI_SESSION_ROUTES } from './handle-ui-session.ts';
import { errorResult } from './http-result.ts';
import { logRequest } from './log-request.ts';
import { observeAnswer, timeAnswer } from './observe-answer.ts';
import { isWebSocketUpgrade, refuseUpgrade, type ResponsesWebSocketServer, upgradeRequired } from './responses-websocket.ts';
import { writeResult } from './write-result.ts';

/** Anthropic's clients send `anthropic-version` on every request: such a caller gets Anthropic's error JSON. */
function shapeByAnthropicVersion(req: IncomingMessage): ErrorShape {
  return req.headers['anthropic-version'] === undefined ? 'openai' : 'anthropic';
}

const ROUTES: RouteEntry[] = [
  { method: 'POST', path: '/v1/chat/completions', auth: true, idempotent: true, handler: handleChatCompletions },
  { method: 'POST', path: '/v1/embeddings', auth: true, idempotent: true, handler: handleEmbeddings },
  ...RESPONSES_ROUTES,
  { method: 'POST', path: '/v1/responses/compact', auth: true, handler: handleCompactResponse },
  ...CONVERSATIONS_ROUTES,
  // Sessions before agents: `/v1/agents/sessions` is no agent id.
  ...AGENT_SESSIONS_ROUTES,
  ...AGENTS_ROUTES,
  { method: 'POST', path: '/v1/messages', auth: true, idempotent: true, errorShape: 'anthropic', handler: handleMessages },
  { method: 'POST', path: '/v1/messages/count_tokens', auth: true, errorShape: 'anthropic', handler: handleCountMessageTokens },
  { method: 'GET', path: '/v1/models', auth: true, errorShape: shapeByAnthropicVersion, handler: handleListModels },
  { method: 'GET', path: '/v1/models/', prefix: true, auth: true, errorShape: shapeByAnthropicVersion, handler: handleGetModel },
  { method: 'GET', path: '/v1/crossway/decisions/', prefix: true, auth: true, handler: handleGetDecision },
  { method: 'GET', path: '/admin/routes', auth: true, handler: handleAdminRoutes },
  ...ADMIN_TENANCY_ROUTES,
  ...ADMIN_LEDGER_ROUTES,
  ...ADMIN_MCP_SERVER_ROUTES,
  ...ADMIN_MCP_CREDENTIAL_ROUTES,
  ...ADMIN_AUDIT_ROUTES,
  ...UI_SESSION_ROUTES,
  ...OIDC_SIGN_IN_ROUTES,
  ...ADMIN_READ_ROUTES,
  { method: 'GET', path: '/healthz', auth: false, handler: handleHealth },
  { method: 'GET', path: '/readyz', auth: false, handler: handleReady },
  // Authenticated by its handler: `metrics.public` decides whether it needs a key.
  { method: 'GET', path: '/metrics', auth: false, handler: handleMetrics },
  // Last: the dashboard answers every GET under /ui/ that no route above (its sign-in API) took.
  ...createUiRoutes(),
];

/** How long a client may take to send a request, how long an idle connection lives, and how many may be open. */
export interface ConnectionLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** The defaults of `server.*` in crossway.yaml. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 4_096,
};

/** Every request's way to its handler: the request log around authentication (and the request rate), the audit log and idempotency. */
const PIPELINE = compose([logRequest, authenticateCaller, auditAdminAction, captureIdempotent]);

/** How often idle connections are closed while draining. */
const IDLE_SWEEP_MS = 100;
/** After connections were cut, the longest wait for their handlers to meter what was produced and end. */
const CUT_WAIT_MS = 10_000;

/** Share of max_connections past which idle keep-alive connections are closed to make room for new clients. */
const SHED_IDLE_AT = 0.9;

/** The gateway's HTTP listener. */
export class GatewayServer {
  readonly #gateway: GatewayContext;
  readonly #server: Server;
  #inFlight = 0;
  /** Called (once each) when the last request in flight ends. */
  #onIdle: (() => void)[] = [];
  /** Resolves when the listener and every connection are closed; null until stopAccepting(). */
  #closed: Promise<void> | null = null;
  #idleSweep: NodeJS.Timeout | undefined;

  constructor(gateway: GatewayContext, limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS, websocket: ResponsesWebSocketServer | null = null) {
    this.#gateway = gateway;
    this.#server = createServer(
      {
        // Only WebSocket upgrades leave the request path (any other Upgrade header, h2c say, is an ordinary request).
        shouldUpgradeCallback: isWebSocketUpgrade,
        // Node checks both timeouts on this interval: a slow-header client is cut off within a second of its deadline.
        connectionsCheckingInterval: 1_000,
        headersTimeout: limits.headersTimeoutMs,
        // Receiving the request only: a long answer or stream is bounded by the executor's deadlines, not by this.
        requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
        keepAliveTimeout: limits.keepAliveTimeoutMs,
      },
      (req, res) => {
        void this.#handle(req, res);
      },
    );
    // Past the cap Node closes new connections at once, so that idle or slow sockets cannot exhaust file descriptors.
    this.#server.maxConnections = limits.maxConnections;
    const shedAt = Math.floor(limits.maxConnections * SHED_IDLE_AT);
    this.#server.on('connection', () => {
      // Near the cap, idle keep-alive connections make room: their clients reconnect, new clients are not refused.
      if (this.#server.connections >= shedAt) this.#server.closeIdleConnections();
    });
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket));
    // The Responses API over WebSocket; without it (or turned off) every upgrade is refused so that clients use HTTP.
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (websocket !== null) websocket.handleUpgrade(req, socket, head);
      else refuseUpgrade(socket, upgradeRequired('WebSocket is not served here: use HTTP.'));
    });
  }

  async listen(port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${shownHost}:${address.port}`;
  }

  /**
   * Stops accepting connections (new ones are refused from here on) and marks the gateway draining: /readyz answers
   * 503, idle keep-alive connections are closed, and every answer from now on closes its connection after it.
   */
  stopAccepting(): void {
    if (this.#closed !== null) return;
    this.#gateway.draining = true;
    this.#closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    // A connection whose answer ends during the drain turns idle; closing it tells its client to go elsewhere.
    this.#idleSweep = setInterval(() => this.#server.closeIdleConnections(), IDLE_SWEEP_MS);
    this.#idleSweep.unref();
  }

  /** Resolves true once no request is in flight, or false when `graceMs` passed first (the requests keep running). */
  async drain(graceMs: number): Promise<boolean> {
    this.stopAccepting();
    if (this.#inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.#onIdle.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
    try {
      return await Promise.race([idle, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops accepting, gives requests in flight `graceMs` to finish, then cuts the connections that remain (their
   * calls are aborted and metered for what they produced) and waits, at most CUT_WAIT_MS, for their handlers to end.
   */
  async close(graceMs = 2_000): Promise<void> {
    await this.drain(graceMs);
    clearInterval(this.#idleSweep);
    this.#server.closeAllConnections();
    if (this.#inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#onIdle.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CUT_WAIT_MS))),
      ]);
      clearTimeout(timer);
    }
    await this.#closed;
  }

  /** Requests whose handler has not finished writing its answer. */
  get inFlight(): number {
    return this.#inFlight;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#inFlight += 1;
    try {
      // Draining: the client is told to reconnect (to another replica) for its next request.
      if (this.#gateway.draining) res.setHeader('connection', 'close');
      const tracing = this.#gateway.tracing;
      if (tracing === null || tracing === undefined) await this.#answer(req, res);
      else
        await tracing.traceRequest(
          req.method ?? 'GET',
          req.url ?? '/',
          req.headers,
          () => this.#answer(req, res),
          // No answer went out when the client left first.
          () => (res.headersSent ? res.statusCode : null),
        );
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) for (const resolve of this.#onIdle.splice(0)) resolve();
    }
  }

  async #answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    // A response closed before it finished means the client went away: abort the upstream work.
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const startedAt = performance.now();
    const requestId = createTimeOrderedId('req');
    res.setHeader('x-request-id', requestId);
    // Until a route matched, a caller that speaks Anthropic's API (a wrong path or method) is answered in its shape.
    let shape = shapeByAnthropicVersion(req);
    let result: HttpResult;
    let exchange: Exchange | null = null;
    try {
      const { entry, params } = matchRoute(req.method ?? 'GET', pathOf(req.url ?? '/'));
      nameServerSpan(entry.method, entry.prefix === true ? `${entry.path}*` : entry.path);
      shape = typeof entry.errorShape === 'function' ? entry.errorShape(req) : (entry.errorShape ?? 'openai');
      // Anthropic's clients read the request id from `request-id` (and show it with every error).
      if (shape === 'anthropic') res.setHeader('request-id', requestId);
      exchange = {
        req,
        requestId,
        startedAt,
        signal: controller.signal,
        route: entry,
        params,
        principal: null,
        requestRate: null,
        rawBody: null,
        log: null,
      };
      result = await PIPELINE(this.#gateway, exchange);
      // A stream that fails is answered, or ended, in its route's error shape too.
      if ('stream' in result && shape !== 'openai') result = { ...result, errorShape: shape };
    } catch (thrown) {
      const error = toCrosswayError(thrown);
      if (error instanceof ClientClosedError) {
        res.destroy();
        observeAnswer(this.#gateway, req, exchange, { status: error.status, error, firstByteAt: null }, startedAt);
        return;
      }
      if (error.status >= 500) this.#gateway.logger.error({ err: thrown, requestId }, 'request failed');
      if (shape === 'anthropic') res.setHeader('request-id', requestId);
      result = errorResult(error, shape, requestId);
    }
    const outcome = await writeResult(res, timeAnswer(res, result, startedAt, exchange), controller.signal);
    observeAnswer(this.#gateway, req, exchange, outcome, startedAt);
  }
}

/**
 * Answers a request node:http could not parse, or that took too long to arrive, with an OpenAI-shaped error body (Node's
 * default is a bare status line), then closes the connection. A socket already written to is just destroyed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const { status, reason, message, code } = describeClientError(error.code);
  // As Node's own handler: a response whose headers went out cannot be followed by another status line.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function describeClientError(code: string | undefined): { status: number; reason: string; message: string; code: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large', message: 'The request headers are too large.', code: 'headers_too_large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', message: 'The request took too long to arrive.', code: 'request_timeout' };
    default:
      return { status: 400, reason: 'Bad Request', message: 'The request is not valid HTTP/1.1.', code: 'bad_request' };
  }
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function matchRoute(method: string, path: string): { entry: RouteEntry; params: Record<string, string> } {
  let pathKnown = false;
  for (const entry of ROUTES) {
    const params = matchPath(entry, path);
    if (params === null) continue;
    pathKnown = true;
    if (entry.method !== method) continue;
    return { entry, params };
  }
  // The path and method are the client's (a path may be as long as the header limit): only excerpts are quoted.
  if (pathKnown) throw new MethodNotAllowedError(`Method ${excerpt(method, 16)} is not allowed on ${excerpt(path, 128)}.`);
  throw new NotFoundError(`Invalid URL (${excerpt(method, 16)} ${excerpt(path, 128)})`, 'unknown_url');
}

function matchPath(entry: RouteEntry, path: string): Record<string, string> | null {
  if (entry.prefix === true) {
    if (!path.startsWith(entry.path) || path.length === entry.path.length) return null;
    const rest = safeDecode(path.slice(entry.path.length));
    return rest.includes('\u0000') ? null : { rest };
  }
  if (!entry.path.includes(':')) return path === entry.path ? {} : null;
  const want = entry.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const value = got[index] ?? '';
    if (segment.startsWith(':')) {
      const decoded = safeDecode(value);
      // No id holds a NUL, and PostgreSQL refuses one in a query (an error, not a miss): such a path names nothing.
      if (decoded === '' || decoded.includes('\u0000')) return null;
      params[segment.slice(1)] = decoded;
    } else if (segment !== value) return null;
  }
  return params;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
