// The gateway's Prometheus metrics (prom-client): one Registry per gateway, never the global one, so that several
// gateways in one process (tests, the bench) keep their own counts. Everything is updated once per request, attempt or
// ledger batch, never per token; gauges of state (circuits, queues, budgets) are read when /metrics is scraped.
// Label values come from fixed sets or from the catalog (the caller maps anything else to `other`): never raw input.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One model call's request as it ended (labels already bounded by the caller). */
export interface ModelRequestObservation {
  /** The API (`chat.completions`, `responses`, `embeddings`, `messages`...). */
  endpoint: string;
  /** The catalog's model id, or `other`. */
  model: string;
  /** The route that answered (catalog id), or `` when none did. */
  route: string;
  provider: string;
  /** The HTTP status the client got (499 when it went away). */
  status: number;
  stream: boolean;
  durationMs: number;
  /** Time spent waiting on upstream attempts (0 when none was made). */
  upstreamMs: number;
  /** A stream's first body byte after arrival; null for whole answers. */
  firstByteMs: number | null;
}

/** How one upstream attempt ended. */
export interface AttemptObservation {
  route: string;
  provider: string;
  /** ok, timeout, connection_error, rate_limited, server_error, client_error, client_closed, not_sent, refused. */
  outcome: string;
  /** The executor fails over from this failure (to the next route, or the same later) when attempts remain. */
  failover: boolean;
}

/** One usage event a ledger batch committed (amounts in micro-units of its currency). */
export interface CommittedUsage {
  model: string;
  currency: string;
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cost: bigint;
  charged: bigint;
}

/** A route's circuit at scrape time. */
export interface RouteCircuit {
  route: string;
  model: string;
  provider: string;
  state: 'closed' | 'open' | 'half_open';
}

/** What is left of one key's budget in its current period (currency units). */
export interface KeyBudget {
  tenant: string;
  key_id: string;
  currency: string;
  period: string;
  remaining: number;
}

/** State read at scrape time. */
export interface MetricsSources {
  /** Every catalog route with its circuit state. */
  routeCircuits(): RouteCircuit[];
  /** Rows or calls waiting in each background writer (request log, decisions, ledger). */
  queueDepths(): Record<string, number>;
  /** Budgets per key; only asked when per-key budgets are shown. */
  keyBudgets?(): Promise<KeyBudget[]>;
}

/** HTTP statuses kept as they are in the `status` label; any other is its class (`4xx`). */
const KNOWN_STATUSES = new Set([200, 201, 204, 400, 401, 403, 404, 405, 408, 409, 413, 422, 429, 431, 499, 500, 502, 503, 504]);

/** The `status` label of an HTTP status: the code when it is a common one, else its class. */
export function statusLabel(status: number): string {
  if (KNOWN_STATUSES.has(status)) return String(status);
  const klass = Math.floor(status / 100);
  return klass >= 1 && klass <= 5 ? `${klass}xx` : 'other';
}

const CIRCUIT_VALUE = { closed: 0, open: 1, half_open: 2 } as const;
const MICRO_PER_UNIT = 1_000_000;

/** The gateway's metrics and their registry. */
export class GatewayMetrics {
  /** Everything but the per-key budgets. */
  readonly registry = new Registry();
  /** The per-key budgets, rendered only for the master key and the separate listener (they name other tenants' keys). */
  readonly budgetRegistry = new Registry();
  readonly #httpRequests: Counter<'method' | 'path' | 'status'>;
  readonly #requests: Counter<'endpoint' | 'model' | 'route' | 'provider' | 'status'>;
  readonly #duration: Histogram<'endpoint' | 'stream'>;
  readonly #overhead: Histogram<'endpoint' | 'stream'>;
  readonly #timeToFirstToken: Histogram<'endpoint' | 'model'>;
  readonly #attempts: Counter<'route' | 'provider' | 'outcome'>;
  readonly #failovers: Counter<'route' | 'provider'>;
  readonly #tokens: Counter<'model' | 'kind'>;
  readonly #cost: Counter<'currency'>;
  readonly #charge: Counter<'currency'>;
  readonly #ledgerCommit: Histogram<'outcome'>;
  #sources: MetricsSources | null = null;
  readonly #budgetPerKey: boolean;

  constructor(options: { budgetPerKey?: boolean; defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.#budgetPerKey = options.budgetPerKey === true;
    // Node's process metrics and the event-loop delay (prom-client samples it with perf_hooks' monitorEventLoopDelay).
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.#httpRequests = new Counter({
      name: 'crossway_http_requests_total',
      help: 'HTTP answers by method, route pattern (`unmatched` for unknown paths) and status.',
      labelNames: ['method', 'path', 'status'],
      registers,
    });
    this.#requests = new Counter({
      name: 'crossway_requests_total',
      help: 'Requests that called a model, by endpoint, model, answering route and provider, and status.',
      labelNames: ['endpoint', 'model', 'route', 'provider', 'status'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'crossway_request_duration_seconds',
      help: 'Duration of requests that called a model, from arrival to the last byte.',
      labelNames: ['endpoint', 'stream'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.#overhead = new Histogram({
      name: 'crossway_gateway_overhead_seconds',
      help: 'Time a model request spent in Crossway: its duration minus the time spent waiting on upstream attempts.',
      labelNames: ['endpoint', 'stream'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.#timeToFirstToken = new Histogram({
      name: 'crossway_time_to_first_token_seconds',
      help: "Streams: from the request's arrival to the first byte of its body sent to the client.",
      labelNames: ['endpoint', 'model'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.#attempts = new Counter({
      name: 'crossway_upstream_attempts_total',
      help: 'Upstream attempts by route, provider and outcome (ok, timeout, connection_error, rate_limited, server_error, client_error, ...).',
      labelNames: ['route', 'provider', 'outcome'],
      registers,
    });
    this.#failovers = new Counter({
      name: 'crossway_upstream_failovers_total',
      help: 'Failed attempts the executor fails over from (the next route, or another pass, is tried while attempts remain).',
      labelNames: ['route', 'provider'],
      registers,
    });
    this.#tokens = new Counter({
      name: 'crossway_tokens_total',
      help: 'Tokens of committed usage events by model and kind (input includes cached; output includes reasoning).',
      labelNames: ['model', 'kind'],
      registers,
    });
    this.#cost = new Counter({
      name: 'crossway_cost_total',
      help: 'What committed usage cost upstream, in units of the currency label.',
      labelNames: ['currency'],
      registers,
    });
    this.#charge = new Counter({
      name: 'crossway_charge_total',
      help: 'What committed usage was charged to tenants (cost plus margin), in units of the currency label.',
      labelNames: ['currency'],
      registers,
    });
    this.#ledgerCommit = new Histogram({
      name: 'crossway_ledger_commit_duration_seconds',
      help: 'Duration of one group commit of the ledger (a batch of usage events and transfers, synced).',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    const metrics = this;
    new Gauge({
      name: 'crossway_route_circuit_state',
      help: "Each catalog route's circuit: 0 closed, 1 open (ejected), 2 half-open.",
      labelNames: ['route', 'model', 'provider'],
      registers,
      // Workers share route health over Redis; summed across `--workers` the states would add up to nonsense.
      aggregator: 'max',
      collect() {
        this.reset();
        for (const circuit of metrics.#sources?.routeCircuits() ?? []) {
          this.set({ route: circuit.route, model: circuit.model, provider: circuit.provider }, CIRCUIT_VALUE[circuit.state]);
        }
      },
    });
    new Gauge({
      name: 'crossway_writer_queue_depth',
      help: 'Rows or calls waiting in each background writer (request_log, decisions, ledger).',
      labelNames: ['writer'],
      registers,
      collect() {
        this.reset();
        for (const [writer, depth] of Object.entries(metrics.#sources?.queueDepths() ?? {})) this.set({ writer }, depth);
      },
    });
    new Gauge({
      name: 'crossway_key_budget_remaining',
      help: "What is left of each virtual key's budget this period, in units of the currency label (settled usage; reservations not subtracted).",
      labelNames: ['tenant', 'key_id', 'currency', 'period'],
      registers: [this.budgetRegistry],
      // Every worker reads the same store.
      aggregator: 'first',
      async collect() {
        this.reset();
        const budgets = metrics.#budgetPerKey ? ((await metrics.#sources?.keyBudgets?.()) ?? []) : [];
        for (const { remaining, ...labels } of budgets) this.set(labels, remaining);
      },
    });
  }

  /** Where the scrape-time gauges read from (set once the gateway's services exist). */
  readFrom(sources: MetricsSources): void {
    this.#sources = sources;
  }

  /** Any HTTP answer. */
  observeHttp(method: string, path: string, status: number): void {
    this.#httpRequests.inc({ method, path, status: statusLabel(status) });
  }

  /** A request that called a model, once its answer (a stream's last byte) was written. */
  observeModelRequest(request: ModelRequestObservation): void {
    const { endpoint, model } = request;
    const stream = request.stream ? 'true' : 'false';
    this.#requests.inc({ endpoint, model, route: request.route, provider: request.provider, status: statusLabel(request.status) });
    this.#duration.observe({ endpoint, stream }, request.durationMs / 1000);
    this.#overhead.observe({ endpoint, stream }, Math.max(0, request.durationMs - request.upstreamMs) / 1000);
    if (request.firstByteMs !== null) this.#timeToFirstToken.observe({ endpoint, model }, request.firstByteMs / 1000);
  }

  /** An upstream attempt ended (a stream's when the stream ended). */
  observeAttempt(attempt: AttemptObservation): void {
    this.#attempts.inc({ route: attempt.route, provider: attempt.provider, outcome: attempt.outcome });
    if (attempt.failover) this.#failovers.inc({ route: attempt.route, provider: attempt.provider });
  }

  /** A ledger group commit ended: its duration, and the usage events it wrote (none when it failed). */
  observeLedgerCommit(durationMs: number, committed: readonly CommittedUsage[] | null): void {
    this.#ledgerCommit.observe({ outcome: committed === null ? 'error' : 'ok' }, durationMs / 1000);
    for (const usage of committed ?? []) {
      const model = usage.model;
      if (usage.input_tokens > 0) this.#tokens.inc({ model, kind: 'input' }, usage.input_tokens);
      if (usage.cached_tokens > 0) this.#tokens.inc({ model, kind: 'cached' }, usage.cached_tokens);
      if (usage.output_tokens > 0) this.#tokens.inc({ model, kind: 'output' }, usage.output_tokens);
      if (usage.reasoning_tokens > 0) this.#tokens.inc({ model, kind: 'reasoning' }, usage.reasoning_tokens);
      if (usage.cost > 0n) this.#cost.inc({ currency: usage.currency }, Number(usage.cost) / MICRO_PER_UNIT);
      if (usage.charged > 0n) this.#charge.inc({ currency: usage.currency }, Number(usage.charged) / MICRO_PER_UNIT);
    }
  }

  /** The exposition's content type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition; with `budgets`, the per-key budgets too (when `metrics.budget_per_key` is on). */
  async render(options: { budgets: boolean }): Promise<string> {
    const main = await this.registry.metrics();
    if (!options.budgets || !this.#budgetPerKey) return main;
    return main + (await this.budgetRegistry.metrics());
  }
}
