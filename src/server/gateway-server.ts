// The gateway's HTTP server: node:http, a small route table, authentication, error mapping and the request log.
// node:http rather than a framework: the hot path is a few handlers that stream bytes, and every layer a
// framework adds (schema compilation, hooks, reply decoration) is per-request cost we would not use.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientClosedError, MethodNotAllowedError, NotFoundError, toCrosswayError } from '../wire/index.ts';
import { authenticate } from './authenticate.ts';
import { ADMIN_LEDGER_ROUTES } from './handle-admin-ledger.ts';
import { ADMIN_TENANCY_ROUTES } from './handle-admin-tenancy.ts';
import { CONVERSATIONS_ROUTES } from './handle-conversations.ts';
import { RESPONSES_ROUTES } from './handle-responses.ts';
import { handleCompactResponse } from './handle-compact-response.ts';
import { runIdempotent } from './run-idempotent.ts';
import { createTimeOrderedId } from './create-time-ordered-id.ts';
import type { Exchange, GatewayContext, RouteEntry } from './gateway-types.ts';
import { handleAdminRoutes } from './handle-admin-routes.ts';
import { handleChatCompletions } from './handle-chat-completions.ts';
import { handleEmbeddings } from './handle-embeddings.ts';
import { handleGetDecision } from './handle-get-decision.ts';
import { handleHealth, handleReady } from './handle-health.ts';
import { handleGetModel, handleListModels } from './handle-models.ts';
import { sendError } from './send-error.ts';

const ROUTES: RouteEntry[] = [
  { method: 'POST', path: '/v1/chat/completions', auth: true, idempotent: true, handler: handleChatCompletions },
  { method: 'POST', path: '/v1/embeddings', auth: true, idempotent: true, handler: handleEmbeddings },
  ...RESPONSES_ROUTES,
  { method: 'POST', path: '/v1/responses/compact', auth: true, handler: handleCompactResponse },
  ...CONVERSATIONS_ROUTES,
  { method: 'GET', path: '/v1/models', auth: true, handler: handleListModels },
  { method: 'GET', path: '/v1/models/', prefix: true, auth: true, handler: handleGetModel },
  { method: 'GET', path: '/v1/crossway/decisions/', prefix: true, auth: true, handler: handleGetDecision },
  { method: 'GET', path: '/admin/routes', auth: true, handler: handleAdminRoutes },
  ...ADMIN_TENANCY_ROUTES,
  ...ADMIN_LEDGER_ROUTES,
  { method: 'GET', path: '/healthz', auth: false, handler: handleHealth },
  { method: 'GET', path: '/readyz', auth: false, handler: handleReady },
];

/** The gateway's HTTP listener. */
export class GatewayServer {
  readonly #gateway: GatewayContext;
  readonly #server: Server;

  constructor(gateway: GatewayContext) {
    this.#gateway = gateway;
    this.#server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
      void this.#handle(req, res);
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

  /** Stops accepting connections and closes idle and active ones. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    setTimeout(() => this.#server.closeAllConnections(), 2_000).unref();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    // A response closed before it finished means the client went away: abort the upstream work.
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const requestId = createTimeOrderedId('req');
    res.setHeader('x-request-id', requestId);
    const exchange: Exchange = {
      req,
      res,
      requestId,
      startedAt: performance.now(),
      signal: controller.signal,
      principal: null,
      rawBody: null,
      meter: null,
      log: null,
    };
    let status = 200;
    let errorCode: string | null = null;
    try {
      const { entry, params } = matchRoute(req.method ?? 'GET', pathOf(req.url ?? '/'));
      if (entry.auth) exchange.principal = await authenticate(req, this.#gateway);
      const idempotencyKey = entry.idempotent === true ? req.headers['idempotency-key'] : undefined;
      if (idempotencyKey === undefined) await entry.handler(this.#gateway, exchange, params);
      else await runIdempotent(this.#gateway, exchange, idempotencyKey, () => entry.handler(this.#gateway, exchange, params));
      status = res.statusCode;
    } catch (thrown) {
      const error = toCrosswayError(thrown);
      errorCode = error.code;
      status = error.status;
      if (error instanceof ClientClosedError) res.destroy();
      else {
        if (error.status >= 500) this.#gateway.logger.error({ err: thrown, requestId }, 'request failed');
        sendError(res, error);
      }
    } finally {
      this.#finish(exchange, status, errorCode);
    }
  }

  #finish(exchange: Exchange, status: number, errorCode: string | null): void {
    // A call that failed before any route produced output gives its limit and budget reservations back.
    exchange.meter?.release();
    const durationMs = performance.now() - exchange.startedAt;
    const log = exchange.log;
    if (log === null) return;
    this.#gateway.requestLog.record({
      id: exchange.requestId,
      created_at: new Date().toISOString(),
      endpoint: log.endpoint ?? 'unknown',
      model: log.model ?? '',
      route: log.route ?? null,
      attempts: log.attempts ?? 0,
      status: log.status ?? status,
      error_code: log.error_code ?? errorCode,
      stream: log.stream ?? false,
      prompt_tokens: log.prompt_tokens ?? null,
      completion_tokens: log.completion_tokens ?? null,
      cached_tokens: log.cached_tokens ?? null,
      duration_ms: Math.round(durationMs),
      ttfb_ms: log.ttfb_ms ?? null,
    });
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
  if (pathKnown) throw new MethodNotAllowedError(`Method ${method} is not allowed on ${path}.`);
  throw new NotFoundError(`Invalid URL (${method} ${path})`, 'unknown_url');
}

function matchPath(entry: RouteEntry, path: string): Record<string, string> | null {
  if (entry.prefix === true) {
    return path.startsWith(entry.path) && path.length > entry.path.length ? { rest: safeDecode(path.slice(entry.path.length)) } : null;
  }
  if (!entry.path.includes(':')) return path === entry.path ? {} : null;
  const want = entry.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const value = got[index] ?? '';
    if (segment.startsWith(':')) {
      if (value === '') return null;
      params[segment.slice(1)] = safeDecode(value);
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
