// GET /metrics: the Prometheus text exposition of the gateway's metrics. On the gateway's port it needs the master key
// or an admin key (the same check as /admin/*) unless `metrics.public: true`; `metrics.listen` serves it, without a
// key, on a listener of its own (bind it to a private address). Per-key budgets name every tenant's keys: only the
// master key and the separate listener see them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requireMaster } from './admin-access.ts';
import { authenticate } from './authenticate.ts';
import { authenticateSession, usesSessionCookie } from './authenticate-session.ts';
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { NotFoundError } from '../wire/index.ts';

/** Answers the exposition, after the admin check unless the metrics are public. */
export async function handleMetrics(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const metrics = gateway.metrics;
  if (metrics === undefined) throw new NotFoundError('Metrics are not served here.', 'unknown_url');
  const { req } = exchange;
  let budgets = false;
  if (gateway.metricsPublic !== true) {
    // The route is open in the route table (its access depends on the configuration): authenticated here instead,
    // by key or by the dashboard's session cookie.
    if (exchange.principal === null && usesSessionCookie(exchange)) await authenticateSession(gateway, exchange);
    exchange.principal ??= await authenticate(req, gateway);
    // Installation-wide figures (every tenant's traffic and spend, every key's budget): the master key's (or an
    // administrator's session) only, not a tenant's admin key.
    requireMaster(exchange, "read /metrics (every tenant's figures); a tenant reads its own in the dashboard or /admin/stats");
    budgets = true;
  } else if (req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined) {
    // Public: anyone reads the metrics, and the master key the per-key budgets as well.
    exchange.principal ??= await authenticate(req, gateway);
    budgets = exchange.principal.kind === 'master';
  }
  const body = await metrics.render({ budgets });
  return { status: 200, headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' }, body };
}

/** What a metrics listener serves: a gateway's metrics, or (in a `--workers` primary) every worker's together. */
export interface MetricsExposition {
  render(options: { budgets: boolean }): Promise<string>;
  readonly contentType: string;
}

/** A listener that serves only GET /metrics, without a key. */
export class MetricsListener {
  readonly #server: Server;

  constructor(metrics: MetricsExposition) {
    this.#server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here.\n');
        return;
      }
      metrics.render({ budgets: true }).then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('Collecting the metrics failed.\n'),
      );
    });
    // A scraper keeps one connection; a handful is plenty, and bounds what a stranger on the address can hold open.
    this.#server.maxConnections = 64;
  }

  /** Listens on `host:port` (port 0: any free one); resolves with the URL of /metrics. */
  async listen(address: string): Promise<string> {
    const { host, port } = parseListenAddress(address);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const bound = this.#server.address() as AddressInfo;
    return `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}/metrics`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** `127.0.0.1:9464`, `[::1]:9464` or `:9464` (every address) as host and port. */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address.trim());
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port > 65535) throw new Error(`metrics.listen must be "host:port", got ${JSON.stringify(address)}`);
  const host = match[1] ?? match[2];
  return { host: host === '' ? undefined : host, port };
}
