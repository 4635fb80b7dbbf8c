// Assembles a running gateway from a catalog: store and migrations, request log, executor, HTTP server.
import type { Logger } from 'pino';
import type { Catalog, Route } from '../catalog/index.ts';
import { Executor } from '../execute/index.ts';
import { createLogger } from '../observe/index.ts';
import { createAuthenticator, getProviderAdapter, type Authenticator } from '../providers/index.ts';
import { Ledger } from '../metering/index.ts';
import { MemoryCounters, openSqliteStore, RequestLogWriter, type Counters, type Store, type TenantRecord } from '../store/index.ts';
import { Limiter, Tenancy } from '../tenancy/index.ts';
import { COMPACTION_KEY_SETTING, createCompactionKey, ResponseChainCache } from '../runtime/index.ts';
import { DecisionLog } from '../calls/index.ts';
import { BackgroundResponses } from '../turns/index.ts';
import { GatewayServer } from './gateway-server.ts';
import { ResponsesWebSocketServer } from './responses-websocket.ts';
import type { GatewayContext } from './gateway-types.ts';
import { PlanCache } from '../policy/index.ts';

export interface StartGatewayOptions {
  catalog: Catalog;
  /** Overrides `server.master_key` from the catalog. */
  masterKey?: string;
  /** Overrides the catalog's port and host (0 = any free port). */
  port?: number;
  host?: string;
  logger?: Logger;
  /** An already-open store (tests); otherwise the catalog's SQLite file is opened. */
  store?: Store;
  /** The clock routing decisions and key expiry use (tests freeze it to see dated agreements at work, or move it past an expiry). */
  now?: () => Date;
  /** Rate-limit and budget counters; in memory by default. */
  counters?: Counters;
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
  close(): Promise<void>;
}

/** How often expired idempotency keys, stored responses and conversations past their retention, and old request-log rows are deleted. */
const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

/** What housekeeping keeps: retention periods from the configuration. */
interface HousekeepingOptions {
  requestLogRetentionDays: number;
  /** Undefined: conversations are kept until deleted. */
  conversationRetentionDays: number | undefined;
}

/** Deletes what has expired, now and then every HOUSEKEEPING_INTERVAL_MS; the timer does not keep the process alive. */
function startHousekeeping(store: Store, logger: Logger, options: HousekeepingOptions, onResponsesPruned: () => void): NodeJS.Timeout {
  const run = (): void => {
    const now = Date.now();
    const nowText = new Date(now).toISOString();
    const daysAgo = (days: number) => new Date(now - days * DAY_MS).toISOString();
    store.pruneIdempotencyKeys(nowText).catch((error: unknown) => logger.error({ err: error }, 'pruning idempotency keys failed'));
    store
      .pruneResponses(nowText)
      .then((pruned) => {
        // Pruned responses break the chains through them, as deletions do. The prune is one statement that says how
        // many went, not which: the whole cache goes, at most once per housekeeping run.
        if (pruned > 0) onResponsesPruned();
      })
      .catch((error: unknown) => logger.error({ err: error }, 'pruning stored responses failed'));
    store.pruneRequestLogs(daysAgo(options.requestLogRetentionDays)).catch((error: unknown) => logger.error({ err: error }, 'pruning the request log failed'));
    if (options.conversationRetentionDays !== undefined) {
      store
        .pruneConversations(daysAgo(options.conversationRetentionDays))
        .catch((error: unknown) => logger.error({ err: error }, 'pruning conversations failed'));
    }
  };
  run();
  const timer = setInterval(run, HOUSEKEEPING_INTERVAL_MS);
  timer.unref();
  return timer;
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
  const store = options.store ?? (await openSqliteStore(config.store.sqlite));
  await store.migrate();
  const requestLog = new RequestLogWriter(store, { logger });
  const now = options.now ?? (() => new Date());
  // Key expiry reads the same clock as routing, so that a test can move past an expiry instead of waiting for it.
  const tenancy = await Tenancy.open(store, { now });
  // Written once per installation (another replica may have written it first: its key is the one used).
  const compactionKey = Buffer.from(await store.putSettingIfAbsent(COMPACTION_KEY_SETTING, createCompactionKey()), 'hex');
  const counters = options.counters ?? new MemoryCounters();
  const limiter = new Limiter({ counters, store });
  const ledger = new Ledger({ store, agreements: catalog.agreements, logger });
  let masterTenant: { record: Promise<TenantRecord>; until: number } | undefined;

  const authenticators = new Map<string, Authenticator>();
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
    adapterFor: (route: Route) => getProviderAdapter(route.provider),
    authenticatorFor: (route: Route) => {
      let authenticator = authenticators.get(route.id);
      if (authenticator === undefined) {
        authenticator = createAuthenticator(route);
        authenticators.set(route.id, authenticator);
      }
      return authenticator;
    },
  });

  const decisions = new DecisionLog(store, { retentionHours: config.decisions.retention_hours, logger });
  const backgroundResponses = new BackgroundResponses(() => context, logger);
  const chainCache = new ResponseChainCache({ maxBytes: config.runtime.chain_cache_bytes });
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
    chainCache,
  };
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
  const housekeeping = startHousekeeping(
    store,
    logger,
    { requestLogRetentionDays: config.request_log.retention_days, conversationRetentionDays: config.runtime.conversation_retention_days },
    () => chainCache.clear(),
  );
  // Background responses left queued by the last run start again; those it left in progress are failed with a reason.
  await backgroundResponses.resume(async (tenant, keyId) => {
    const record = await store.getTenant(tenant);
    if (record === null) return null;
    if (keyId === null) return { kind: 'master', key: null, tenant: record, admin: true };
    const live = await tenancy.findLiveKey(keyId);
    return live === null || live.tenant.id !== tenant ? null : { kind: 'key', key: live.key, tenant: live.tenant, admin: live.key.admin };
  });
  const url = await server.listen(options.port ?? config.server.port, options.host ?? config.server.host);
  return {
    url,
    executor,
    store,
    requestLog,
    decisions,
    tenancy,
    ledger,
    backgroundResponses,
    async close() {
      clearInterval(housekeeping);
      // Sockets first: their running turns are abandoned and metered while the ledger is still open.
      await websocket.close();
      await server.close();
      await backgroundResponses.close();
      await ledger.close();
      await counters.close();
      await requestLog.close();
      await decisions.close();
      await executor.close();
      if (options.store === undefined) await store.close();
    },
  };
}
