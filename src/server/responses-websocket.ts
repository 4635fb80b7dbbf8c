// The Responses API over WebSocket (OpenAI's "WebSocket mode", https://developers.openai.com/api/docs/guides/websocket-mode):
// GET /v1/responses upgraded on the gateway's own HTTP server. The caller is authenticated and the socket counted
// against its bounds before the upgrade (a refusal is a plain HTTP error answer); then each socket is a session
// (responses-socket-session.ts), pinged, and closed when idle. Transport only: turns are the core's.
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../calls/index.ts';
import { CrosswayError, RateLimitError, toCrosswayError } from '../wire/index.ts';
import { authenticate } from './authenticate.ts';
import type { GatewayContext } from './gateway-types.ts';
import { errorResult } from './http-result.ts';
import { ResponsesSocketSession } from './responses-socket-session.ts';

/** The `server.websocket*` settings. */
export interface WebSocketLimits {
  enabled: boolean;
  maxSockets: number;
  maxSocketsPerTenant: number;
  /** Per virtual key; the master key counts as one key. */
  maxSocketsPerKey: number;
  idleTimeoutMs: number;
  pingIntervalMs: number;
  maxAgeMs: number;
  memoryBytes: number;
}

/** The defaults of `server.websocket*` in crossway.yaml. */
export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  enabled: true,
  maxSockets: 256,
  maxSocketsPerTenant: 64,
  maxSocketsPerKey: 16,
  idleTimeoutMs: 300_000,
  pingIntervalMs: 30_000,
  maxAgeMs: 3_600_000,
  memoryBytes: 8 * 1024 * 1024,
};

/** The one path served over WebSocket. */
const RESPONSES_PATH = '/v1/responses';

/** True for a request asking to become a WebSocket (RFC 6455 section 4.1): the only upgrade the gateway takes. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.headers.upgrade?.toLowerCase() === 'websocket';
}

/** The gateway's WebSocket side: upgrades, the open sockets and their bounds. */
export class ResponsesWebSocketServer {
  readonly #gateway: GatewayContext;
  readonly #limits: WebSocketLimits;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Map<ResponsesSocketSession, { ws: WebSocket; alive: boolean }>();
  readonly #perTenant = new Map<string, number>();
  readonly #perKey = new Map<string, number>();
  readonly #sweep: NodeJS.Timeout;

  constructor(gateway: GatewayContext, limits: WebSocketLimits = DEFAULT_WEBSOCKET_LIMITS) {
    this.#gateway = gateway;
    this.#limits = limits;
    // A message larger than the body limit closes the socket with 1009 (RFC 6455 section 7.4.1) before it is buffered
    // whole. No compression: a deflated frame would cost memory per socket and CPU per byte for little on a LAN.
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: gateway.bodyLimitBytes, perMessageDeflate: false, clientTracking: false });
    // One timer for every socket: pings, cuts off those that missed the last pong, closes idle ones.
    this.#sweep = setInterval(() => this.#sweepSockets(), limits.pingIntervalMs);
    this.#sweep.unref();
  }

  /** How many sockets are open. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Takes an HTTP upgrade from the gateway's server: serves it, or answers it with an HTTP error and closes it. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Until `ws` owns the socket, a reset must not become an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    this.#upgrade(req, socket, head).catch((thrown: unknown) => refuseUpgrade(socket, toCrosswayError(thrown)));
  }

  /** Closes every socket (1001, going away), abandoning running turns, and waits until those are settled (metered). */
  async close(): Promise<void> {
    clearInterval(this.#sweep);
    const turns: Promise<void>[] = [];
    for (const [session, { ws }] of this.#sessions) {
      session.close();
      turns.push(session.settled());
      ws.close(1001, 'server shutting down');
    }
    await Promise.all(turns);
    for (const { ws } of this.#sessions.values()) ws.terminate();
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    // 426, not 404: Codex falls back to HTTP at once on a 426, and only after its retries on anything else.
    if (path !== RESPONSES_PATH || req.method !== 'GET') throw upgradeRequired(`WebSocket is served on GET ${RESPONSES_PATH} only: use HTTP.`);
    if (!this.#limits.enabled) throw upgradeRequired('WebSocket mode is turned off on this gateway: use POST /v1/responses.');
    const principal = await authenticate(req, this.#gateway);
    // Checked and counted in one synchronous step (ws completes a plain upgrade synchronously), so that concurrent
    // upgrades cannot pass a bound together.
    this.#checkBounds(principal);
    if (socket.destroyed) return;
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(ws, req, principal));
  }

  #checkBounds(principal: Principal): void {
    const tenant = principal.tenant.id;
    const key = keyOf(principal);
    if (this.#sessions.size >= this.#limits.maxSockets) throw tooManySockets('this gateway', this.#limits.maxSockets);
    if ((this.#perTenant.get(tenant) ?? 0) >= this.#limits.maxSocketsPerTenant) throw tooManySockets('this tenant', this.#limits.maxSocketsPerTenant);
    if ((this.#perKey.get(key) ?? 0) >= this.#limits.maxSocketsPerKey) throw tooManySockets('this API key', this.#limits.maxSocketsPerKey);
  }

  #open(ws: WebSocket, req: IncomingMessage, principal: Principal): void {
    const tenant = principal.tenant.id;
    const key = keyOf(principal);
    const session = new ResponsesSocketSession(this.#gateway, ws, principal, req, {
      maxAgeMs: this.#limits.maxAgeMs,
      memoryBytes: this.#limits.memoryBytes,
    });
    const state = { ws, alive: true };
    this.#sessions.set(session, state);
    count(this.#perTenant, tenant, 1);
    count(this.#perKey, key, 1);
    ws.on('message', (data: Buffer, isBinary: boolean) => session.receive(data, isBinary));
    ws.on('pong', () => {
      state.alive = true;
    });
    // An oversized frame or a protocol error: ws closes the socket itself (1009, 1002); 'close' follows.
    ws.on('error', () => undefined);
    ws.once('close', () => {
      session.close();
      this.#sessions.delete(session);
      count(this.#perTenant, tenant, -1);
      count(this.#perKey, key, -1);
    });
  }

  #sweepSockets(): void {
    const now = performance.now();
    for (const [session, state] of this.#sessions) {
      if (!state.alive) {
        state.ws.terminate();
        continue;
      }
      if (!session.busy && now - session.lastActivity > this.#limits.idleTimeoutMs) {
        state.ws.close(1000, 'idle timeout');
        continue;
      }
      state.alive = false;
      state.ws.ping();
    }
  }
}

/**
 * 426 for an upgrade the gateway will not serve (WebSocket turned off, or another path): Codex takes it as the sign to
 * use HTTP at once (codex-rs falls back on 426 without retrying), as it does with servers that lack WebSocket mode.
 */
export function upgradeRequired(message: string): CrosswayError {
  return new CrosswayError(message, { code: 'websocket_not_served', status: 426, type: 'invalid_request_error' });
}

function tooManySockets(scope: string, limit: number): RateLimitError {
  return new RateLimitError(`Too many open Responses WebSockets for ${scope} (at most ${limit}): close one, or use POST /v1/responses.`, 'requests', 1_000);
}

function keyOf(principal: Principal): string {
  return principal.key?.id ?? 'master';
}

function count(counts: Map<string, number>, name: string, delta: number): void {
  const next = (counts.get(name) ?? 0) + delta;
  if (next <= 0) counts.delete(name);
  else counts.set(name, next);
}

/**
 * Answers an upgrade with `error` as a plain HTTP response (status, OpenAI's error JSON and the headers an HTTP answer
 * would carry) and closes the connection; an upgrade is never half-answered.
 */
export function refuseUpgrade(socket: Duplex, error: CrosswayError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, headers, body } = errorResult(error);
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  const lines = Object.entries({ ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), connection: 'close' }).map(
    ([name, value]) => `${name}: ${value}`,
  );
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines.join('\r\n')}\r\n\r\n${text}`);
}
