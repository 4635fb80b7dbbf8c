// Assembles a running gateway from a catalog: store and migrations, request log, executor, HTTP server.
import { McpEngine } from '../mcp/index.ts';
import type { Logger } from 'pino';
import type { Catalog, Route } from '../catalog/index.ts';
import { Executor } from '../execute/index.ts';
import { createLogger, GatewayMetrics, type GatewayTracing, openGatewayTracing, readTracingSettings } from '../observe/index.ts';
import { createAuthenticator, getProviderAdapter, type Authenticator } from '../providers/index.ts';
import { Ledger } from '../metering/index.ts';
import { openCounters, openStore, RequestLogWriter, type Counters, type Store, type TenantRecord } from '../store/index.ts';
import { Limiter, Tenancy } from '../tenancy/index.ts';
import { COMPACTION_KEY_SETTING, createCompactionKey, ResponseChainCache } from '../runtime/index.ts';
import { AgentSessions } from '../agents/index.ts';
import { DecisionLog } from '../calls/index.ts';
import type { Cluster } from '../cluster/index.ts';
import { BackgroundResponses } from '../turns/index.ts';
import { GatewayServer } from './gateway-server.ts';
import { ResponsesWebSocketServer } from './responses-websocket.ts';
import { startHousekeeping } from './start-housekeeping.ts';
import { metricsSources, observeAttempts, timeLedgerCommits } from './gateway-metrics-sources.ts';
import { MetricsListener } from './handle-metrics.ts';
import type { GatewayContext } from './gateway-types.ts';
import { PlanCache } from '../policy/index.ts';
import { type CatalogReplacement, replaceCatalog } from './replace-catalog.ts';
import { randomBytes } from 'node:crypto';
import { AuditTrail } from './audit-trail.ts';
import { DashboardSessions, SESSION_SECRET_SETTING } from './dashboard-sessions.ts';
import { OidcSignIn } from './oidc-sign-in.ts';

export interface StartGatewayOptions {
  catalog: Catalog;
  /** Overrides `server.master_key` from the catalog. */
  masterKey?: string;
  /** Overrides the catalog's port and host (0 = any free port). */
  port?: number;
  host?: string;
  logger?: Logger;
  /** An already-open store (tests); otherwise the catalog's store (PostgreSQL, else the SQLite file) is opened. */
  store?: Store;
  /** The clock routing decisions and key expiry use (tests freeze it to see dated agreements at work, or move it past an expiry). */
  now?: () => Date;
  /** Rate-limit and budget counters; by default Redis (with a local fallback) when `redis.url` is set, else memory. */
  counters?: Counters;
  /** Serve `metrics.listen` (default true); a `--workers` worker does not: the primary serves every worker's metrics there. */
  metricsListener?: boolean;
  /**
   * The replicas this gateway is one of (tests: LocalClusterHub.joinCluster()); the caller closes it. Otherwise one is
   * opened on `redis.url` when that is set, and none without it (the gateway alone).
   */
  cluster?: Cluster;
}

/** A gateway that is listening. */
export interface RunningGateway {
  url: string;
  executor: Executor;
  store: Store;
  requestLog: RequestLogWriter;
  decisions: DecisionLog;
  tenancy: Tenancy;
  ledger: Ledger;
  backgroundResponses: BackgroundResponses;
  /** The membership of the replicas sharing route health, invalidations and decisions; undefined when alone. */
  cluster: Cluster | undefined;
  /** The audit log's writer (the CLI records refused configuration reloads with it). */
  audit: AuditTrail;
  /** The rate-limit and budget counters (the bench reads RedisFailoverCounters' round trips). */
  counters: Counters;
  /** The gateway's Prometheus metrics; undefined with `metrics.enabled: false`. */
  metrics: GatewayMetrics | undefined;
  /** The URL of GET /metrics on the `metrics.listen` listener; null without one. */
  metricsUrl: string | null;
  /** OpenTelemetry export; null when no OTLP endpoint is configured (no SDK loaded, no provider created). */
  tracing: GatewayTracing | null;
  /** The catalog new calls use (the one given at start, or the last one `reload` took). */
  readonly catalog: Catalog;
  /**
   * Takes a new catalog for new calls (see replaceCatalog): calls in flight finish on the one they started with.
   * Settings that need a restart keep their running values and are listed in the result.
   */
  reload(next: Catalog): CatalogReplacement;
  /**
   * Shuts down: stops accepting (/readyz answers 503 at once), lets calls and streams in flight finish within
   * `graceMs` (2 s by default), cuts what remains (metered for what it produced), then flushes the request log,
   * decisions and ledger, ends background jobs and closes the store.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** How long the master key's tenant is reused before it is read again (an admin PATCH through this gateway drops it at once). */
const MASTER_TENANT_TTL_MS = 1_000;

/** Opens the store, runs migrations and starts listening. */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const { catalog } = options;
  const config = catalog.config;
  const masterKey = options.masterKey ?? config.server.master_key?.reveal();
  if (masterKey === undefined || masterKey === '') {
    throw new Error('No master key: set server.master_key in the configuration or CROSSWAY_MASTER_KEY.');
  }
  const logger = options.logger ?? createLogger({ level: (process.env.CROSSWAY_LOG_LEVEL ?? 'info') as 'info' });
  const store =
    options.store ?? (await openStore(config.store, { onConnectionError: (error) => logger.warn({ err: error }, 'a PostgreSQL connection failed') }));
  await store.migrate();
  const requestLog = new RequestLogWriter(store, { logger });
  const now = options.now ?? (() => new Date());
  const redisUrl = config.redis.url;
  // Loaded only when configured: ioredis alone costs a start about 100 ms and 25 MB of memory.
  const cluster =
    options.cluster ??
    (redisUrl === undefined
      ? undefined
      : await (await import('../cluster/index.ts')).openCluster({ url: redisUrl, keyPrefix: config.redis.key_prefix, logger }));
  // Key expiry reads the same clock as routing, so that a test can move past an expiry instead of waiting for it.
  const tenancy = await Tenancy.open(store, { now, peers: cluster?.tenancyPeers });
  // Written once per installation (another replica may have written it first: its key is the one used).
  const compactionKey = Buffer.from(await store.putSettingIfAbsent(COMPACTION_KEY_SETTING, createCompactionKey()), 'hex');
  const opened = options.counters === undefined ? await openCounters(config.redis, logger) : { counters: options.counters, describeHealth: null };
  const counters = opened.counters;
  const limiter = new Limiter({ counters, store });
  const metrics = config.metrics.enabled ? new GatewayMetrics({ budgetPerKey: config.metrics.budget_per_key }) : undefined;
  // OpenTelemetry: null (nothing loaded, no provider) unless an OTLP endpoint is configured; flushed on close.
  const tracing = await openGatewayTracing(readTracingSettings(process.env, config.telemetry), undefined);
  const ledger = new Ledger({ store: metrics === undefined ? store : timeLedgerCommits(store, metrics), agreements: catalog.agreements, logger, tracing });
  let masterTenant: { record: Promise<TenantRecord>; until: number } | undefined;

  // Per route object: a reloaded route (new credentials, say) gets its own; the old one goes with the old catalog.
  const authenticators = new WeakMap<Route, Authenticator>();
  const executor = new Executor({
    attemptTimeoutMs: config.execute.attempt_timeout_ms,
    streamIdleTimeoutMs: config.execute.stream_idle_timeout_ms,
    maxAttempts: config.execute.max_attempts,
    outlier: {
      consecutiveFailures: config.execute.outlier.consecutive_failures,
      baseEjectionMs: config.execute.outlier.base_ejection_ms,
      maxEjectionMs: config.execute.outlier.max_ejection_ms,
      decayIntervalMs: config.execute.outlier.decay_interval_ms,
      maxEjectionPercent: config.execute.outlier.max_ejection_percent,
      panicThresholdPercent: config.execute.outlier.panic_threshold_percent,
    },
    routes: catalog.routes,
    latencyEwmaAlpha: config.execute.latency_ewma_alpha,
    // Ejections last and decay on the gateway's clock, so that a test can move past an ejection instead of waiting.
    now: () => now().getTime(),
    retryBudget: { percent: config.execute.retry_budget.percent, minConcurrency: config.execute.retry_budget.min_concurrency },
    healthPeers: cluster?.routeHealthPeers,
    observer: metrics === undefined ? undefined : observeAttempts(metrics),
    adapterFor: (route: Route) => getProviderAdapter(route.provider),
    authenticatorFor: (route: Route) => {
      let authenticator = authenticators.get(route);
      if (authenticator === undefined) {
        authenticator = createAuthenticator(route);
        authenticators.set(route, authenticator);
      }
      return authenticator;
    },
  });

  const decisions = new DecisionLog(store, { retentionHours: config.decisions.retention_hours, logger, shared: cluster?.decisions });
  const backgroundResponses = new BackgroundResponses(() => context, logger, { leaseMs: config.runtime.background_lease_ms });
  const agentSessions = new AgentSessions(() => context, logger, { leaseMs: config.runtime.background_lease_ms, stepLog: requestLog });
  const chainCache = new ResponseChainCache({ maxBytes: config.runtime.chain_cache_bytes, peers: cluster?.chainCachePeers });
  // Written once per installation, as the compaction key: every replica keys CSRF tokens and the OIDC flow cookie with it.
  const sessionSecret = Buffer.from(await store.putSettingIfAbsent(SESSION_SECRET_SETTING, randomBytes(32).toString('hex')), 'hex');
  const audit = new AuditTrail(store, logger, now);
  const context: GatewayContext = {
    catalog,
    executor,
    store,
    requestLog,
    decisions,
    planCache: new PlanCache(),
    now,
    logger,
    masterKey: Buffer.from(masterKey),
    compactionKey,
    mcp: new McpEngine({ timeoutMs: config.mcp.timeout_ms, listCacheTtlMs: config.mcp.tool_list_cache_ms, maxResultBytes: config.mcp.max_result_bytes }),
    bodyLimitBytes: config.server.body_limit,
    tenancy,
    limiter,
    ledger,
    masterTenant() {
      const now = Date.now();
      if (masterTenant === undefined || masterTenant.until < now) {
        const record = store.getTenant('default').then((found) => {
          if (found === null) throw new Error("the master key's tenant 'default' is missing from the store");
          return found;
        });
        masterTenant = { record, until: now + MASTER_TENANT_TTL_MS };
        record.catch(() => (masterTenant = undefined));
      }
      return masterTenant.record;
    },
    forgetMasterTenant() {
      masterTenant = undefined;
    },
    backgroundResponses,
    agentSessions,
    chainCache,
    countersHealth: opened.describeHealth,
    draining: false,
    cluster,
    metrics,
    metricsPublic: config.metrics.public,
    tracing,
    dashboardSessions: new DashboardSessions({
      store,
      tenancy,
      masterKey: Buffer.from(masterKey),
      masterTenant: () => context.masterTenant(),
      counters,
      secret: sessionSecret,
      config: config.ui,
      now,
    }),
    oidc: config.auth.oidc === undefined ? null : new OidcSignIn(config.auth.oidc, sessionSecret, logger, now),
    audit,
  };
  metrics?.readFrom(metricsSources({ catalog: () => context.catalog, executor, ledger, requestLog, decisions, store, now }));
  const leaveCluster = cluster?.join({ health: executor.health, tenancy, chainCache, forgetMasterTenant: () => context.forgetMasterTenant() });
  const websocket = new ResponsesWebSocketServer(context, {
    enabled: config.server.websocket,
    maxSockets: config.server.websocket_max_sockets,
    maxSocketsPerTenant: config.server.websocket_max_sockets_per_tenant,
    maxSocketsPerKey: config.server.websocket_max_sockets_per_key,
    idleTimeoutMs: config.server.websocket_idle_timeout_ms,
    pingIntervalMs: config.server.websocket_ping_interval_ms,
    maxAgeMs: config.server.websocket_max_age_ms,
    memoryBytes: config.server.websocket_memory_bytes,
  });
  const server = new GatewayServer(
    context,
    {
      headersTimeoutMs: config.server.headers_timeout_ms,
      requestTimeoutMs: config.server.request_timeout_ms,
      keepAliveTimeoutMs: config.server.keep_alive_timeout_ms,
      maxConnections: config.server.max_connections,
    },
    websocket,
  );
  // On one replica at a time: the holder of the store's housekeeping lease (named by this replica's id).
  const housekeeping = startHousekeeping(
    store,
    logger,
    {
      requestLogRetentionDays: config.request_log.retention_days,
      conversationRetentionDays: config.runtime.conversation_retention_days,
      auditRetentionDays: config.audit.retention_days,
      sessionIdleSeconds: config.ui.session_idle_ttl,
      replicaId: backgroundResponses.replicaId,
    },
    () => chainCache.clear(),
  );
  // The lease loop of background responses: jobs nobody holds (left queued, or whose replica died) are claimed and run
  // here (those billed already are failed with a reason); jobs another live replica holds are left alone.
  await backgroundResponses.resume(async (tenant, keyId) => {
    const record = await store.getTenant(tenant);
    if (record === null) return null;
    if (keyId === null) return { kind: 'master', key: null, tenant: record, admin: true };
    const live = await tenancy.findLiveKey(keyId);
    return live === null || live.tenant.id !== tenant ? null : { kind: 'key', key: live.key, tenant: live.tenant, admin: live.key.admin };
  });
  agentSessions.start();
  const url = await server.listen(options.port ?? config.server.port, options.host ?? config.server.host);
  const metricsListen = config.metrics.listen;
  const metricsListener = metrics !== undefined && metricsListen !== undefined && options.metricsListener !== false ? new MetricsListener(metrics) : null;
  const metricsUrl = metricsListener === null ? null : await metricsListener.listen(metricsListen!);
  return {
    url,
    executor,
    store,
    requestLog,
    decisions,
    tenancy,
    ledger,
    backgroundResponses,
    cluster,
    counters,
    metrics,
    metricsUrl,
    tracing,
    audit,
    get catalog() {
      return context.catalog;
    },
    reload(next: Catalog) {
      const outcome = replaceCatalog(context, next);
      void audit.record({
        actor: { kind: 'master', id: null, name: 'configuration file' },
        tenant_id: null,
        action: 'config.reload',
        target: { type: 'config', id: outcome.version },
        outcome: 'ok',
        ip: null,
      });
      return outcome;
    },
    async close({ graceMs = 2_000 }: { graceMs?: number } = {}) {
      await housekeeping.stop();
      // Agent session event streams never end by themselves: they end now, as a client would see a restart.
      agentSessions.endStreams();
      // HTTP calls and streams in flight get the grace period; no new connection is accepted meanwhile.
      await server.drain(graceMs);
      // Then sockets: their running turns are abandoned and metered while the ledger is still open.
      await websocket.close();
      await context.mcp?.close();
      await server.close(0);
      await metricsListener?.close();
      await backgroundResponses.close();
      await agentSessions.close();
      await ledger.close();
      await counters.close();
      // A log the store refuses to take (its rows said lost in the log) must not keep the rest from closing.
      await requestLog
        .close()
        .catch((error: unknown) => logger.error({ err: error }, 'the request log could not be written at shutdown; its queued rows are lost'));
      await decisions
        .close()
        .catch((error: unknown) => logger.error({ err: error }, 'the decision log could not be written at shutdown; its queued rows are lost'));
      leaveCluster?.();
      if (options.cluster === undefined) await cluster?.close();
      await executor.close();
      // After the ledger and the server: the last spans (ledger batches, answers cut at shutdown) are exported too.
      await tracing?.shutdown();
      if (options.store === undefined) await store.close();
    },
  };
}
